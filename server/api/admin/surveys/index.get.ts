import { useDb } from '../../../database'
import { adminSurveyView, listSurveys } from '../../../services/surveys'
import { requireAdmin } from '../../../utils/admin'

export default defineEventHandler((event) => {
  requireAdmin(event, 'surveys:read')
  return listSurveys(useDb()).map(adminSurveyView)
})
