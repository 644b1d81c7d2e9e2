import { useDb } from '#server/database'
import { listAdminAccounts } from '#server/services/admin-accounts'
import { requireOwner } from '#server/http/admin'

/** Every console account, by e-mail address (never a secret). Owners only. */
export default defineEventHandler(async (event) => {
  await requireOwner(event)
  return { accounts: await listAdminAccounts(useDb()) }
})
