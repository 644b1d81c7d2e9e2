import { useDb } from '#server/database'
import { adminSurveyView, listSurveys } from '#server/services/surveys'
import { requireAdmin } from '#server/http/admin'

export default defineEventHandler(async (event) => {
  await requireAdmin(event, 'surveys:read')
  return (await listSurveys(useDb())).map(adminSurveyView)
})
