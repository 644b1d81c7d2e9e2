import { useDb } from '#server/database'
import { setPasswordWithLink } from '#server/services/admin-accounts'
import { assertSameOrigin } from '#server/http/same-origin'
import { requestIp } from '#server/http/settings'
import { adminPasswordLinkSchema } from '#shared/schemas/admin-console'
import { defineRouteSchemas, readValidatedJson } from '#server/utils/request'

export const schemas = defineRouteSchemas({ body: adminPasswordLinkSchema })

/** Sets a console account's password from its one-time link (made by `admins:create`). */
export default defineEventHandler(async (event) => {
  assertSameOrigin(event)
  const input = await readValidatedJson(event, schemas.body)
  await setPasswordWithLink(useDb(), input, requestIp(event))
  return { ok: true }
})
