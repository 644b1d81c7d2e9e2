import { useDb } from '#server/database'
import { adminSurveyView, listSurveys } from '#server/services/surveys'
import { adminMaySee, requireAdmin } from '#server/http/admin'

export default defineEventHandler(async (event) => {
  await requireAdmin(event, 'surveys:read')
  return (await listSurveys(useDb())).filter(adminMaySee(event)).map(adminSurveyView)
})
