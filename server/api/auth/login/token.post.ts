import { useDb } from '../../../database'
import { loginWithToken } from '../../../services/login'
import { tokenLoginSchema } from '../../../../shared/schemas/respondent'
import { loginContext } from '../../../utils/context'
import { readValidatedJson } from '../../../utils/request'
import { signIn } from '../../../utils/session'

export default defineEventHandler(async (event) => {
  const input = await readValidatedJson(event, tokenLoginSchema)
  const outcome = await loginWithToken(useDb(), input, loginContext(event))
  if (outcome.kind === 'challenge') return outcome.challenge
  return signIn(event, outcome.record, outcome.survey)
})
