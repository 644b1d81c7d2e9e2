import { z } from 'zod'
import { useDb } from '../../../database'
import { findSurveyBySlug } from '../../../services/surveys'
import { requireAdmin, saveSurveyAsAdmin } from '../../../utils/admin'
import { conflict } from '../../../utils/errors'
import { readValidatedJson } from '../../../utils/request'

const bodySchema = z.looseObject({ slug: z.string() })

/** Creates a survey (the same validation as the CLI; secrets are write-only). */
export default defineEventHandler(async (event) => {
  const { actor } = requireAdmin(event, 'surveys:write')
  const body = await readValidatedJson(event, bodySchema)
  if (findSurveyBySlug(useDb(), body.slug)) throw conflict('A survey with this slug already exists (slugs ignore case).', { slug: { msg: 'is already taken' } })
  const created = saveSurveyAsAdmin(actor, 'survey.create', body)
  setResponseStatus(event, 201)
  return created
})
