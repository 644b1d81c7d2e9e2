import { useDb } from '../../../database'
import { respondentSubmissions } from '../../../services/recall'
import { forbidden } from '../../../utils/errors'
import { routerParam } from '../../../utils/request'
import { requireRespondent } from '../../../utils/session'

/** The respondent's own submissions, for the feedback page (only when the survey offers feedback). */
export default defineEventHandler(async (event) => {
  const { record, survey } = await requireRespondent(event, routerParam(event, 'slug'))
  if (!survey.feedbackEnabled) throw forbidden('Feedback is not available for this survey.')
  return respondentSubmissions(useDb(), survey, record.user.id)
})
