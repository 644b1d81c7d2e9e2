import { useDb } from '../../../database'
import { loginWithPassword } from '../../../services/login'
import { aliasLoginSchema } from '../../../../shared/schemas/respondent'
import { loginContext } from '../../../utils/context'
import { readValidatedJson } from '../../../utils/request'
import { signIn } from '../../../utils/session'

export default defineEventHandler(async (event) => {
  const input = await readValidatedJson(event, aliasLoginSchema)
  const outcome = await loginWithPassword(useDb(), input, loginContext(event))
  if (outcome.kind === 'challenge') return outcome.challenge
  return signIn(event, outcome.record, outcome.survey)
})
