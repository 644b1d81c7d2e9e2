import { useDb } from '#server/database'
import { revokeRefreshToken } from '#server/services/auth'
import { assertSameOrigin } from '#server/http/same-origin'
import { clearRefreshCookie, readRefreshCookie } from '#server/http/session'

export default defineEventHandler(async (event) => {
  assertSameOrigin(event)
  await revokeRefreshToken(useDb(), readRefreshCookie(event))
  clearRefreshCookie(event)
  return { ok: true }
})
