import { z } from 'zod'
import { adminSurvey, requireAdmin, saveSurveyAsAdmin } from '../../../../utils/admin'
import { readValidatedJson } from '../../../../utils/request'

const bodySchema = z.looseObject({})

/** Updates the fields given; the others keep their value. The slug in the path names the survey. */
export default defineEventHandler(async (event) => {
  const { actor } = requireAdmin(event, 'surveys:write')
  const existing = adminSurvey(event)
  const body = await readValidatedJson(event, bodySchema)
  return saveSurveyAsAdmin(actor, 'survey.update', body, { ...body, slug: existing.slug })
})
