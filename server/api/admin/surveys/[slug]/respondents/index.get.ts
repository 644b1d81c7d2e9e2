import { useDb } from '#server/database'
import { listRespondents } from '#server/services/respondent-admin'
import { respondentListQuerySchema } from '#shared/schemas/admin'
import { adminSurvey, requireAdmin } from '#server/http/admin'
import { defineRouteSchemas, readValidatedQuery } from '#server/utils/request'

export const schemas = defineRouteSchemas({ query: respondentListQuerySchema })

/** Respondents of the survey, a page at a time (`?page=&limit=`), optionally filtered by `?username=` (substring). */
export default defineEventHandler(async (event) => {
  await requireAdmin(event, 'respondents:read')
  const survey = await adminSurvey(event)
  return await listRespondents(useDb(), survey, readValidatedQuery(event, schemas.query))
})
