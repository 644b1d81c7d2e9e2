import { useDb } from '#server/database'
import { revokeAccessToken } from '#server/services/access-tokens'
import { numberParam, requireOwner } from '#server/http/admin'

/** Revokes a token (again: no change). Owners only. */
export default defineEventHandler(async (event) => {
  const { actor } = await requireOwner(event)
  return await revokeAccessToken(useDb(), numberParam(event, 'id'), actor)
})
