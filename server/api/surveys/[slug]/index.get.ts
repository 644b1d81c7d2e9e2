import { useDb } from '#server/database'
import { publicSurveyBySlug } from '#server/services/surveys'
import { notFound } from '#server/utils/errors'
import { routerParam } from '#server/utils/request'

export default defineEventHandler(async (event) => {
  const entry = await publicSurveyBySlug(useDb(), routerParam(event, 'slug'))
  if (!entry) throw notFound('Survey not found.')
  return entry
})
