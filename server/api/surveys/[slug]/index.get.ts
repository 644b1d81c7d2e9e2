import { useDb } from '../../../database'
import { findSurveyBySlug, publicSurveyEntry } from '../../../services/surveys'
import { notFound } from '../../../utils/errors'
import { routerParam } from '../../../utils/request'

export default defineEventHandler((event) => {
  const survey = findSurveyBySlug(useDb(), routerParam(event, 'slug'))
  if (!survey) throw notFound('Survey not found.')
  return publicSurveyEntry(survey)
})
