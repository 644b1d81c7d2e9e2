import { useDb } from '#server/database'
import { adminSessionView, completeSecondFactor } from '#server/services/admin-sessions'
import { requireConsoleSession } from '#server/http/admin'
import { adminSessionSettings, requestIp } from '#server/http/settings'
import { adminSecondFactorSchema } from '#shared/schemas/admin-console'
import { defineRouteSchemas, readValidatedJson } from '#server/utils/request'

export const schemas = defineRouteSchemas({ body: adminSecondFactorSchema })

/** The authenticator app's code (or a recovery code) that completes a password sign-in. */
export default defineEventHandler(async (event) => {
  const signedIn = await requireConsoleSession(event, ['password'])
  const input = await readValidatedJson(event, schemas.body)
  return adminSessionView(await completeSecondFactor(useDb(), signedIn, input, { ip: requestIp(event), settings: adminSessionSettings() }))
})
