import { useDb } from '../../../../database'
import { audit } from '../../../../services/audit'
import { resendDelivery } from '../../../../services/webhooks'
import { requireAdmin } from '../../../../utils/admin'
import { routerParam } from '../../../../utils/request'

export default defineEventHandler((event) => {
  const { actor } = requireAdmin(event, 'deliveries:write')
  const id = routerParam(event, 'id')
  const db = useDb()
  resendDelivery(db, id)
  audit(db, actor, 'delivery.resend', id)
  setResponseStatus(event, 202)
  return { id, status: 'pending' }
})
