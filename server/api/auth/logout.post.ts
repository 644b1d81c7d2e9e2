import { useDb } from '../../database'
import { revokeRefreshToken } from '../../services/auth'
import { clearRefreshCookie, readRefreshCookie } from '../../utils/session'

export default defineEventHandler((event) => {
  revokeRefreshToken(useDb(), readRefreshCookie(event))
  clearRefreshCookie(event)
  return { ok: true }
})
