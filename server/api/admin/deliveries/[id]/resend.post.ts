import { useDb } from '#server/database'
import { resendDelivery } from '#server/services/webhooks'
import { adminMaySee, requireAdmin } from '#server/http/admin'
import { routerParam } from '#server/utils/request'

export default defineEventHandler(async (event) => {
  const { actor } = await requireAdmin(event, 'deliveries:write')
  const id = routerParam(event, 'id')
  await resendDelivery(useDb(), id, actor, adminMaySee(event))
  setResponseStatus(event, 202)
  return { id, status: 'pending' as const }
})
