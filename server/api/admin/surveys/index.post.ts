import { z } from 'zod'
import { useDb } from '../../../database'
import { audit } from '../../../services/audit'
import { adminSurveyView, findSurveyBySlug, upsertSurvey } from '../../../services/surveys'
import { requireAdmin } from '../../../utils/admin'
import { conflict } from '../../../utils/errors'
import { readValidatedJson } from '../../../utils/request'

const bodySchema = z.looseObject({ slug: z.string() })

/** Creates a survey (the same validation as the CLI; secrets are write-only). */
export default defineEventHandler(async (event) => {
  const { actor } = requireAdmin(event, 'surveys:write')
  const body = await readValidatedJson(event, bodySchema)
  const db = useDb()
  if (findSurveyBySlug(db, body.slug)) throw conflict('A survey with this slug already exists (slugs ignore case).', { slug: { msg: 'is already taken' } })
  const { survey, generatedWebhookSecret } = upsertSurvey(db, body, { allowPrivateWebhooks: String(useRuntimeConfig().webhooksAllowPrivate) === 'true' })
  audit(db, actor, 'survey.create', survey.slug, { fields: Object.keys(body).filter(key => key !== 'genUserKey' && key !== 'webhookSecret') })
  setResponseStatus(event, 201)
  return { ...adminSurveyView(survey), ...(generatedWebhookSecret ? { generatedWebhookSecret } : {}) }
})
