import { useDb } from '#server/database'
import { revokeAdminSessions } from '#server/services/admin-accounts'
import { clearAdminCookie, requireConsoleSession } from '#server/http/admin'

/** Ends every sign-in of the account, on every device, this one included. */
export default defineEventHandler(async (event) => {
  const { account } = await requireConsoleSession(event)
  await revokeAdminSessions(useDb(), account.id)
  clearAdminCookie(event)
  return { ok: true }
})
