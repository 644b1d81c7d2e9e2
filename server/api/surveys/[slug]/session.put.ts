import { useDb } from '#server/database'
import { saveSession } from '#server/services/recall'
import { MAX_SESSION_DATA_BYTES, sessionSaveSchema } from '#shared/schemas/recall'
import { defineRouteSchemas, readValidatedJson, routerParam } from '#server/utils/request'
import { requireRespondent } from '#server/http/session'

export const schemas = defineRouteSchemas({ body: sessionSaveSchema })

/** Saves the recall in progress (the page calls this as the respondent goes). */
export default defineEventHandler(async (event) => {
  const { record, survey } = await requireRespondent(event, routerParam(event, 'slug'))
  const { data } = await readValidatedJson(event, schemas.body, MAX_SESSION_DATA_BYTES)
  return await saveSession(useDb(), survey, record, data)
})
