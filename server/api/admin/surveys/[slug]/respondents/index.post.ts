import { useDb } from '#server/database'
import { createRespondent } from '#server/services/respondent-admin'
import { adminRespondentCreateSchema } from '#shared/schemas/admin'
import { adminSurvey, requireAdmin } from '#server/http/admin'
import { defineRouteSchemas, readValidatedJson } from '#server/utils/request'

export const schemas = defineRouteSchemas({ body: adminRespondentCreateSchema })

export default defineEventHandler(async (event) => {
  const { actor } = await requireAdmin(event, 'respondents:write')
  const survey = await adminSurvey(event)
  const input = await readValidatedJson(event, schemas.body)
  const created = await createRespondent(useDb(), survey, input, actor)
  setResponseStatus(event, 201)
  return created
})
