import { useDb } from '#server/database'
import { listAccessTokens } from '#server/services/access-tokens'
import { requireOwner } from '#server/http/admin'

/** Every personal access token, newest first (never a secret). Owners only. */
export default defineEventHandler(async (event) => {
  await requireOwner(event)
  return { tokens: await listAccessTokens(useDb()) }
})
