import { useDb } from '#server/database'
import { cancelSession } from '#server/services/recall'
import { routerParam } from '#server/utils/request'
import { requireRespondent } from '#server/http/session'

export default defineEventHandler(async (event) => {
  const { record, survey } = await requireRespondent(event, routerParam(event, 'slug'))
  return await cancelSession(useDb(), survey, record)
})
