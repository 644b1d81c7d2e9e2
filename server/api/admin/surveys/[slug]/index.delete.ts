import { useDb } from '#server/database'
import { deleteSurvey } from '#server/services/surveys'
import { surveyDeleteQuerySchema } from '#shared/schemas/admin'
import { adminSurvey, requireAdmin } from '#server/http/admin'
import { defineRouteSchemas, readValidatedQuery } from '#server/utils/request'

export const schemas = defineRouteSchemas({ query: surveyDeleteQuerySchema })

/** Deletes a survey; refused (409) while it has respondents unless `?force=true`. */
export default defineEventHandler(async (event) => {
  const { actor } = await requireAdmin(event, 'surveys:write')
  const survey = await adminSurvey(event)
  const { force } = readValidatedQuery(event, schemas.query)
  const removed = await deleteSurvey(useDb(), survey, force, actor)
  return { deleted: survey.slug, respondentsRemoved: removed }
})
