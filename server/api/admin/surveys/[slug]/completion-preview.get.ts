import { useDb } from '#server/database'
import { completionPreview } from '#server/services/follow-up'
import { completionPreviewQuerySchema } from '#shared/schemas/admin'
import { adminSurvey, requireAdmin } from '#server/http/admin'
import { defineRouteSchemas, readValidatedQuery } from '#server/utils/request'

export const schemas = defineRouteSchemas({ query: completionPreviewQuerySchema })

/** Where the survey's redirect would send the respondent `?username=` (default `sample`) at completion. */
export default defineEventHandler(async (event) => {
  await requireAdmin(event, 'surveys:read')
  const survey = await adminSurvey(event)
  const { username } = readValidatedQuery(event, schemas.query)
  return await completionPreview(useDb(), survey, username)
})
