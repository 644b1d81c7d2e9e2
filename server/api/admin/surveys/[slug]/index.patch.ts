import { z } from 'zod'
import { useDb } from '../../../../database'
import { audit } from '../../../../services/audit'
import { adminSurveyView, upsertSurvey } from '../../../../services/surveys'
import { adminSurvey, requireAdmin } from '../../../../utils/admin'
import { readValidatedJson } from '../../../../utils/request'

const bodySchema = z.looseObject({})

/** Updates the fields given; the others keep their value. The slug in the path names the survey. */
export default defineEventHandler(async (event) => {
  const { actor } = requireAdmin(event, 'surveys:write')
  const existing = adminSurvey(event)
  const body = await readValidatedJson(event, bodySchema)
  const db = useDb()
  const { survey, generatedWebhookSecret } = upsertSurvey(db, { ...body, slug: existing.slug }, { allowPrivateWebhooks: String(useRuntimeConfig().webhooksAllowPrivate) === 'true' })
  audit(db, actor, 'survey.update', survey.slug, { fields: Object.keys(body).filter(key => key !== 'genUserKey' && key !== 'webhookSecret'), secretsChanged: ['genUserKey', 'webhookSecret'].filter(key => key in body) })
  return { ...adminSurveyView(survey), ...(generatedWebhookSecret ? { generatedWebhookSecret } : {}) }
})
