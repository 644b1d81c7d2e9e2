import { useDb } from '#server/database'
import { startOrResumeSession } from '#server/services/recall'
import { routerParam } from '#server/utils/request'
import { requireRespondent } from '#server/http/session'

/** Starts the respondent's recall, or resumes the one in progress. */
export default defineEventHandler(async (event) => {
  const { record, survey } = await requireRespondent(event, routerParam(event, 'slug'))
  return await startOrResumeSession(useDb(), survey, record)
})
