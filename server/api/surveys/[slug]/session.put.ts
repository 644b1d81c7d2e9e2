import { useDb } from '../../../database'
import { saveSession } from '../../../services/recall'
import { MAX_SESSION_DATA_BYTES, sessionSaveSchema } from '../../../../shared/schemas/recall'
import { readValidatedJson, routerParam } from '../../../utils/request'
import { requireRespondent } from '../../../utils/session'

/** Saves the recall in progress (the page calls this as the respondent goes). */
export default defineEventHandler(async (event) => {
  const { record, survey } = await requireRespondent(event, routerParam(event, 'slug'))
  const { data } = await readValidatedJson(event, sessionSaveSchema, MAX_SESSION_DATA_BYTES)
  return saveSession(useDb(), survey, record, data)
})
