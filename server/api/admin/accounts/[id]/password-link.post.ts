import { useDb } from '#server/database'
import { issuePasswordLink, setPasswordLink } from '#server/services/admin-accounts'
import { linkOrigin, numberParam, requireOwner } from '#server/http/admin'

/** A new one-time set-password link for the account; the previous one stops working. Owners only. */
export default defineEventHandler(async (event) => {
  const { actor } = await requireOwner(event)
  const id = numberParam(event, 'id')
  const origin = linkOrigin(event)
  const token = await issuePasswordLink(useDb(), id, actor)
  setResponseHeader(event, 'cache-control', 'no-store')
  return { setPasswordLink: setPasswordLink(origin, token) }
})
