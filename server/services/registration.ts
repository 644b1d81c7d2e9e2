import type { Db } from '#server/database'
import type { SurveyRow } from '#server/database/schema'
import { AppError, forbidden, tooManyRequests } from '#server/utils/errors'
import { verifyCaptcha, type CaptchaConfig } from '#server/utils/captcha'
import { rateLimitGiveBack, rateLimitHit, type RateLimitRule } from './rate-limit'
import { generateRespondent } from './respondents'
import { assertSurveyActive, isOpenAccess } from './surveys'

export interface RegistrationContext {
  ip: string
  captcha: CaptchaConfig
  /** Successful generations per client IP per window; failed attempts have their own, larger budget. */
  successLimit: RateLimitRule
  failureLimit: RateLimitRule
  /** Aborted when the client goes away: a hash still waiting is dropped. */
  signal?: AbortSignal
}

const minutes = (seconds: number) => Math.max(1, Math.ceil(seconds / 60))

/**
 * Self-registration on an open-access survey, behind the captcha and the per-IP limits
 * (docs/api.md#post-apisurveyssluggenerate-user).
 */
export async function registerRespondent(db: Db, survey: SurveyRow, captcha: string | null | undefined, context: RegistrationContext) {
  if (!survey.allowGenUsers) throw forbidden('This survey does not allow creating accounts.')
  if (!isOpenAccess(survey)) throw forbidden('Accounts for this survey are created by the study team: please use the link you were sent.')
  assertSurveyActive(survey)

  const successKey = `generate:ok:${context.ip}`
  const failureKey = `generate:failed:${context.ip}`
  // Both budgets are taken before the captcha check and the hash, so parallel requests cannot all pass;
  // the one the outcome does not spend is given back.
  const taken: string[] = []
  const giveBack = async (...keys: string[]) => {
    for (const key of keys) await rateLimitGiveBack(db, key)
  }
  for (const [key, rule] of [[successKey, context.successLimit], [failureKey, context.failureLimit]] as const) {
    const state = await rateLimitHit(db, key, rule)
    if (state.limited) {
      await giveBack(...taken)
      throw tooManyRequests(state.retryAfterSeconds, `Too many accounts were created from your network. Please try again in ${minutes(state.retryAfterSeconds)} minute(s).`)
    }
    taken.push(key)
  }

  let generated: Awaited<ReturnType<typeof generateRespondent>>
  try {
    await verifyCaptcha(context.captcha, captcha, context.ip)
    generated = await generateRespondent(db, survey, context.ip, context.signal)
  }
  catch (error) {
    // A refused captcha spends a failure; anything else (provider timeout, a busy server) spends nothing.
    if (error instanceof AppError && error.statusCode === 400) await giveBack(successKey)
    else await giveBack(successKey, failureKey)
    throw error
  }
  await giveBack(failureKey)
  return { username: generated.username, password: generated.password }
}
