import { useDb } from '#server/database'
import { adminSurveyView, listSurveys } from '#server/services/surveys'
import { requireAdmin } from '#server/http/admin'

export default defineEventHandler((event) => {
  requireAdmin(event, 'surveys:read')
  return listSurveys(useDb()).map(adminSurveyView)
})
