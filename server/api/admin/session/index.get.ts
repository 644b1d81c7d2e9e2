import { adminSessionView } from '#server/services/admin-sessions'
import { requireConsoleSession } from '#server/http/admin'

/** The console's sign-in, at whatever stage it is. */
export default defineEventHandler(async (event) => {
  return adminSessionView(await requireConsoleSession(event, ['password', 'enrol', 'active']))
})
