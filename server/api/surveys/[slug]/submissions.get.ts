import { useDb } from '#server/database'
import { respondentSubmissions } from '#server/services/recall'
import { forbidden } from '#server/utils/errors'
import { routerParam } from '#server/utils/request'
import { requireRespondent } from '#server/http/session'

/** The respondent's own submissions, for the feedback page (only when the survey offers feedback). */
export default defineEventHandler(async (event) => {
  const { record, survey } = await requireRespondent(event, routerParam(event, 'slug'))
  if (!survey.feedbackEnabled) throw forbidden('Feedback is not available for this survey.')
  return await respondentSubmissions(useDb(), survey, record.user.id)
})
