import { useDb } from '#server/database'
import { signOutAdmin } from '#server/services/admin-sessions'
import { clearAdminCookie, requireConsoleSession } from '#server/http/admin'

export default defineEventHandler(async (event) => {
  const { session } = await requireConsoleSession(event, ['password', 'enrol', 'active'])
  await signOutAdmin(useDb(), session)
  clearAdminCookie(event)
  return { ok: true }
})
