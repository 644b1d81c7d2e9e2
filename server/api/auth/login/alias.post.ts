import { useDb } from '#server/database'
import { loginWithPassword } from '#server/services/login'
import { aliasLoginSchema } from '#shared/schemas/respondent'
import { loginContext } from '#server/http/settings'
import { defineRouteSchemas, readValidatedJson } from '#server/utils/request'
import { signIn } from '#server/http/session'

export const schemas = defineRouteSchemas({ body: aliasLoginSchema })

export default defineEventHandler(async (event) => {
  const context = loginContext(event)
  const input = await readValidatedJson(event, schemas.body)
  const outcome = await loginWithPassword(useDb(), input, context)
  if (outcome.kind === 'challenge') return outcome.challenge
  return signIn(event, outcome.record, outcome.survey)
})
