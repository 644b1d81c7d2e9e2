import { useDb } from '#server/database'
import { finishEnrolment } from '#server/services/admin-sessions'
import { requireConsoleSession } from '#server/http/admin'
import { adminTotpConfirmSchema } from '#shared/schemas/admin-console'
import { defineRouteSchemas, readValidatedJson } from '#server/utils/request'

export const schemas = defineRouteSchemas({ body: adminTotpConfirmSchema })

/** Confirms the set-up with a first code: two-factor sign-in is on; ten recovery codes, shown once. */
export default defineEventHandler(async (event) => {
  const signedIn = await requireConsoleSession(event, ['enrol', 'active'])
  const { code } = await readValidatedJson(event, schemas.body)
  return { recoveryCodes: await finishEnrolment(useDb(), signedIn, code) }
})
