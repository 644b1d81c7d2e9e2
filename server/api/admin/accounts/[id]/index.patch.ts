import { useDb } from '#server/database'
import { updateAdminAccount } from '#server/services/admin-accounts'
import { adminAccountUpdateSchema } from '#shared/schemas/admin-console'
import { numberParam, requireOwner } from '#server/http/admin'
import { defineRouteSchemas, readValidatedJson } from '#server/utils/request'

export const schemas = defineRouteSchemas({ body: adminAccountUpdateSchema })

/** Changes an account's name, role, surveys, or disables (ending its sign-ins) or enables it. Owners only. */
export default defineEventHandler(async (event) => {
  const { actor } = await requireOwner(event)
  const id = numberParam(event, 'id')
  const input = await readValidatedJson(event, schemas.body)
  return { account: await updateAdminAccount(useDb(), id, input, actor) }
})
