import { useDb } from '#server/database'
import { getRespondent } from '#server/services/respondent-admin'
import { adminSurvey, requireAdmin, userIdParam } from '#server/http/admin'

export default defineEventHandler(async (event) => {
  await requireAdmin(event, 'respondents:read')
  return await getRespondent(useDb(), await adminSurvey(event), userIdParam(event))
})
