import { useDb } from '#server/database'
import { findSurveyBySlug, saveSurveyAsAdmin } from '#server/services/surveys'
import { requireAdmin, requireEverySurvey } from '#server/http/admin'
import { webhooksAllowPrivate } from '#server/http/settings'
import { conflict } from '#server/utils/errors'
import { surveyInputSchema } from '#shared/schemas/survey'
import { defineRouteSchemas, readCheckedJson } from '#server/utils/request'

export const schemas = defineRouteSchemas({ body: surveyInputSchema })

/** Creates a survey (the same validation as the CLI; secrets are write-only). */
export default defineEventHandler(async (event) => {
  const { actor } = await requireAdmin(event, 'surveys:write')
  requireEverySurvey(event, 'create surveys')
  const body = await readCheckedJson(event, schemas.body, 'The survey is not valid.')
  const db = useDb()
  if (await findSurveyBySlug(db, body.slug)) throw conflict('A survey with this slug already exists (slugs ignore case).', { slug: { msg: 'is already taken' } })
  const created = await saveSurveyAsAdmin(db, actor, body, { allowPrivateWebhooks: webhooksAllowPrivate() })
  setResponseStatus(event, 201)
  return created
})
