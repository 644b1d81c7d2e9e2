import { adminSurveyView } from '../../../../services/surveys'
import { adminSurvey, requireAdmin } from '../../../../utils/admin'

export default defineEventHandler((event) => {
  requireAdmin(event, 'surveys:read')
  return adminSurveyView(adminSurvey(event))
})
