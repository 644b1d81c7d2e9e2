import { useDb } from '#server/database'
import { updateRespondent } from '#server/services/respondent-admin'
import { adminRespondentUpdateSchema } from '#shared/schemas/admin'
import { adminSurvey, requireAdmin, userIdParam } from '#server/http/admin'
import { defineRouteSchemas, readValidatedJson } from '#server/utils/request'

export const schemas = defineRouteSchemas({ body: adminRespondentUpdateSchema })

/** Updates a respondent: name, custom fields, redirect URL, password, or `disabled` to disable/enable the account. */
export default defineEventHandler(async (event) => {
  const { actor } = await requireAdmin(event, 'respondents:write')
  const survey = await adminSurvey(event)
  const userId = userIdParam(event)
  const input = await readValidatedJson(event, schemas.body)
  return await updateRespondent(useDb(), survey, userId, input, actor)
})
