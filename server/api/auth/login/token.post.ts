import { useDb } from '#server/database'
import { loginWithToken } from '#server/services/login'
import { tokenLoginSchema } from '#shared/schemas/respondent'
import { loginContext } from '#server/http/settings'
import { defineRouteSchemas, readValidatedJson } from '#server/utils/request'
import { signIn } from '#server/http/session'

export const schemas = defineRouteSchemas({ body: tokenLoginSchema })

export default defineEventHandler(async (event) => {
  const input = await readValidatedJson(event, schemas.body)
  const outcome = await loginWithToken(useDb(), input, loginContext(event))
  if (outcome.kind === 'challenge') return outcome.challenge
  return signIn(event, outcome.record, outcome.survey)
})
