import { useDb } from '#server/database'
import { createAdminAccount, findAdminAccountEntry, setPasswordLink } from '#server/services/admin-accounts'
import { adminAccountCreateSchema } from '#shared/schemas/admin-console'
import { linkOrigin, requireOwner } from '#server/http/admin'
import { defineRouteSchemas, readValidatedJson } from '#server/utils/request'

export const schemas = defineRouteSchemas({ body: adminAccountCreateSchema })

/** A new console account and its one-time set-password link (shown this once). Owners only. */
export default defineEventHandler(async (event) => {
  const { actor } = await requireOwner(event)
  const input = await readValidatedJson(event, schemas.body)
  const origin = linkOrigin(event)
  const db = useDb()
  const { account, passwordToken } = await createAdminAccount(db, input, { actor })
  setResponseStatus(event, 201)
  setResponseHeader(event, 'cache-control', 'no-store')
  return { account: await findAdminAccountEntry(db, account.id), setPasswordLink: setPasswordLink(origin, passwordToken!) }
})
