import { useDb } from '../../../database'
import { publicSurveyBySlug } from '../../../services/surveys'
import { notFound } from '../../../utils/errors'
import { routerParam } from '../../../utils/request'

export default defineEventHandler((event) => {
  const entry = publicSurveyBySlug(useDb(), routerParam(event, 'slug'))
  if (!entry) throw notFound('Survey not found.')
  return entry
})
