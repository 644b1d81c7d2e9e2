import { useDb } from '../../../database'
import { cancelSession } from '../../../services/recall'
import { routerParam } from '../../../utils/request'
import { requireRespondent } from '../../../utils/session'

export default defineEventHandler(async (event) => {
  const { record, survey } = await requireRespondent(event, routerParam(event, 'slug'))
  return cancelSession(useDb(), survey, record)
})
