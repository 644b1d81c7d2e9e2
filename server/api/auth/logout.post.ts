import { useDb } from '#server/database'
import { revokeRefreshToken } from '#server/services/auth'
import { assertSameOrigin } from '#server/http/same-origin'
import { clearRefreshCookie, readRefreshCookie } from '#server/http/session'

export default defineEventHandler((event) => {
  assertSameOrigin(event)
  revokeRefreshToken(useDb(), readRefreshCookie(event))
  clearRefreshCookie(event)
  return { ok: true }
})
