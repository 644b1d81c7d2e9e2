import { adminSurveyView } from '#server/services/surveys'
import { adminSurvey, requireAdmin } from '#server/http/admin'

export default defineEventHandler((event) => {
  requireAdmin(event, 'surveys:read')
  return adminSurveyView(adminSurvey(event))
})
