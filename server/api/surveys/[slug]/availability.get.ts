import { useDb } from '#server/database'
import { requireSurvey, surveyAvailability } from '#server/services/surveys'
import { routerParam } from '#server/utils/request'

/** Public: whether the survey takes respondents now, and if not why (for the login page). */
export default defineEventHandler(async (event) => {
  return surveyAvailability(await requireSurvey(useDb(), routerParam(event, 'slug')))
})
