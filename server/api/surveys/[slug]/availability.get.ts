import { useDb } from '../../../database'
import { findSurveyBySlug, surveyAvailability } from '../../../services/surveys'
import { notFound } from '../../../utils/errors'
import { routerParam } from '../../../utils/request'

/** Public: whether the survey takes respondents now, and if not why (for the login page). */
export default defineEventHandler((event) => {
  const survey = findSurveyBySlug(useDb(), routerParam(event, 'slug'))
  if (!survey) throw notFound('Survey not found.')
  return surveyAvailability(survey)
})
