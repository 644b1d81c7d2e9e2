import { adminSurveyView } from '#server/services/surveys'
import { adminSurvey, requireAdmin } from '#server/http/admin'

export default defineEventHandler(async (event) => {
  await requireAdmin(event, 'surveys:read')
  return adminSurveyView(await adminSurvey(event))
})
