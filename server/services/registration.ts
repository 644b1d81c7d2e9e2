import type { Db } from '../database'
import type { SurveyRow } from '../database/schema'
import { AppError, forbidden, tooManyRequests } from '../utils/errors'
import { verifyCaptcha, type CaptchaConfig } from '../utils/captcha'
import { rateLimitHit, rateLimitPeek, type RateLimitRule } from '../utils/rate-limit'
import { generateRespondent } from './respondents'
import { assertSurveyActive, isOpenAccess } from './surveys'

export interface RegistrationContext {
  ip: string
  captcha: CaptchaConfig
  /** Successful generations per client IP per window; failed attempts have their own, larger budget. */
  successLimit: RateLimitRule
  failureLimit: RateLimitRule
}

const minutes = (seconds: number) => Math.max(1, Math.ceil(seconds / 60))

/** SPEC.md 5.3: self-registration on an open-access survey, behind the captcha and the per-IP limits. */
export async function registerRespondent(db: Db, survey: SurveyRow, captcha: string | null | undefined, context: RegistrationContext) {
  if (!survey.allowGenUsers) throw forbidden('This survey does not allow creating accounts.')
  if (!isOpenAccess(survey)) throw forbidden('Accounts for this survey are created by the study team: please use the link you were sent.')
  assertSurveyActive(survey)

  const successKey = `generate:ok:${context.ip}`
  const failureKey = `generate:failed:${context.ip}`
  for (const [key, rule] of [[successKey, context.successLimit], [failureKey, context.failureLimit]] as const) {
    const state = rateLimitPeek(db, key, rule)
    if (state.limited) throw tooManyRequests(state.retryAfterSeconds, `Too many accounts were created from your network. Please try again in ${minutes(state.retryAfterSeconds)} minute(s).`)
  }

  try {
    await verifyCaptcha(context.captcha, captcha, context.ip)
  }
  catch (error) {
    if (error instanceof AppError && error.statusCode === 400) rateLimitHit(db, failureKey, context.failureLimit)
    throw error
  }
  const generated = await generateRespondent(db, survey)
  rateLimitHit(db, successKey, context.successLimit)
  return { username: generated.username, password: generated.password }
}
