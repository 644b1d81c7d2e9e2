import { useDb } from '../../../database'
import { startOrResumeSession } from '../../../services/recall'
import { routerParam } from '../../../utils/request'
import { requireRespondent } from '../../../utils/session'

/** Starts the respondent's recall, or resumes the one in progress. */
export default defineEventHandler(async (event) => {
  const { record, survey } = await requireRespondent(event, routerParam(event, 'slug'))
  return startOrResumeSession(useDb(), survey, record)
})
