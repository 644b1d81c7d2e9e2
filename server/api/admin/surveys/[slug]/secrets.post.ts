import { useDb } from '#server/database'
import { rotateSurveySecret } from '#server/services/surveys'
import { surveySecretSchema } from '#shared/schemas/admin'
import { adminSurvey, requireAdmin } from '#server/http/admin'
import { defineRouteSchemas, readValidatedJson } from '#server/utils/request'

export const schemas = defineRouteSchemas({ body: surveySecretSchema })

/** A new random JWT secret (`jwt`) or webhook signing secret (`webhook`) for the survey, shown this once. */
export default defineEventHandler(async (event) => {
  const { actor } = await requireAdmin(event, 'surveys:write')
  const survey = await adminSurvey(event)
  const { kind } = await readValidatedJson(event, schemas.body)
  setResponseHeader(event, 'cache-control', 'no-store')
  return await rotateSurveySecret(useDb(), survey, kind, actor)
})
