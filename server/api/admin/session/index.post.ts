import { useDb } from '#server/database'
import { adminSessionView, signInAdmin } from '#server/services/admin-sessions'
import { setAdminCookie } from '#server/http/admin'
import { assertSameOrigin } from '#server/http/same-origin'
import { adminSessionSettings, requestIp } from '#server/http/settings'
import { adminSignInSchema } from '#shared/schemas/admin-console'
import { defineRouteSchemas, readValidatedJson } from '#server/utils/request'

export const schemas = defineRouteSchemas({ body: adminSignInSchema })

/** Console sign-in with e-mail and password; the answer says whether a second factor comes next. */
export default defineEventHandler(async (event) => {
  assertSameOrigin(event)
  const input = await readValidatedJson(event, schemas.body)
  const signedIn = await signInAdmin(useDb(), input, { ip: requestIp(event), settings: adminSessionSettings() })
  setAdminCookie(event, signedIn.token, signedIn.session.expiresAt)
  return adminSessionView(signedIn)
})
