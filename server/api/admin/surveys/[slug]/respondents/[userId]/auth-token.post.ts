import { useDb } from '#server/database'
import { rotateAuthToken } from '#server/services/respondent-admin'
import { adminSurvey, requireAdmin, userIdParam } from '#server/http/admin'

/** Rotates the respondent's auth token: links sent before stop working. */
export default defineEventHandler(async (event) => {
  const { actor } = await requireAdmin(event, 'respondents:write')
  return await rotateAuthToken(useDb(), await adminSurvey(event), userIdParam(event), actor)
})
