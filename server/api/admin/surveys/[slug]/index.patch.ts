import { useDb } from '#server/database'
import { saveSurveyAsAdmin } from '#server/services/surveys'
import { surveyUpdateSchema } from '#shared/schemas/survey'
import { adminSurvey, requireAdmin } from '#server/http/admin'
import { webhooksAllowPrivate } from '#server/http/settings'
import { defineRouteSchemas, readCheckedJson } from '#server/utils/request'

export const schemas = defineRouteSchemas({ body: surveyUpdateSchema })

/** Updates the fields given; the others keep their value. The slug in the path names the survey. */
export default defineEventHandler(async (event) => {
  const { actor } = await requireAdmin(event, 'surveys:write')
  const existing = await adminSurvey(event)
  const body = await readCheckedJson(event, schemas.body, 'The survey is not valid.')
  return saveSurveyAsAdmin(useDb(), actor, body, { input: { ...body, slug: existing.slug }, allowPrivateWebhooks: webhooksAllowPrivate() })
})
