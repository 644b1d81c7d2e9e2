import type { Db } from '#server/database'
import type { SurveyRow } from '#server/database/schema'
import { forbidden, tooManyRequests, unauthorized, type AppError } from '#server/utils/errors'
import { captchaEnabled, verifyCaptcha, type CaptchaConfig } from '#server/utils/captcha'
import { refuseWhenHashingFull, verifyPassword } from '#server/utils/passwords'
import { knownLimitedFor, rateLimitGiveBack, rateLimitHit, rateLimitReset, type RateLimitRule } from './rate-limit'
import { findRespondent, findRespondentByAuthToken, type RespondentRecord } from './respondents'
import { cachedSurveyById, cachedSurveyBySlug } from './surveys'

export const LOGIN_FAILED_MESSAGE = 'The sign-in details are not correct, or this account cannot sign in.'

export interface LoginContext {
  ip: string
  captcha: CaptchaConfig
  /** Failed sign-ins per address and username (password), or per address (auth token). */
  rateLimit: RateLimitRule
  /** Failed password sign-ins per address, whatever the username. */
  addressRateLimit: RateLimitRule
  /** Aborted when the client goes away: a password check still waiting is dropped. */
  signal?: AbortSignal
}
export type LoginOutcome
  = | { kind: 'signedIn', record: RespondentRecord, survey: SurveyRow }
    | { kind: 'challenge', challenge: { surveyId: string, provider: 'captcha' } }

const tooManyFailures = (retryAfterSeconds: number) =>
  tooManyRequests(retryAfterSeconds, `Too many failed sign-in attempts. Try again in ${Math.max(1, Math.ceil(retryAfterSeconds / 60))} minute(s).`)

/**
 * Counts this attempt as a failure in every budget before the slow work, so that parallel attempts
 * cannot all pass a check made before any of them was counted. Over a budget: the budgets taken before
 * it are given back and the attempt is refused (the spent one stays spent: it is over its limit anyway).
 * The caller gives the budgets back when the attempt succeeds.
 */
export async function takeFailureBudgets(db: Db, budgets: [key: string, rule: RateLimitRule][]) {
  const taken: string[] = []
  for (const [key, rule] of budgets) {
    const state = await rateLimitHit(db, key, rule)
    if (state.limited) {
      for (const key of taken) await rateLimitGiveBack(db, key)
      throw tooManyFailures(state.retryAfterSeconds)
    }
    taken.push(key)
  }
}

/** The survey asks for a captcha at sign-in and the client has not answered one yet: a challenge, no tokens. */
function captchaChallenge(survey: SurveyRow, captcha: string | null | undefined, context: LoginContext): LoginOutcome | undefined {
  if (!survey.authCaptcha || !captchaEnabled(context.captcha) || captcha) return undefined
  return { kind: 'challenge', challenge: { surveyId: survey.slug, provider: 'captcha' } }
}

async function checkCaptcha(survey: SurveyRow, captcha: string | null | undefined, context: LoginContext) {
  if (survey.authCaptcha && captchaEnabled(context.captcha)) await verifyCaptcha(context.captcha, captcha, context.ip)
}

const addressKey = (ip: string) => `login:address:${ip}`

/**
 * The refusal of a password sign-in from an address this process already knows to be over its
 * failed-sign-in limit (no database read), or undefined. It is answered before routing and before the
 * request body is read (server/middleware/00.sign-in-refusals.ts): under a flood from a few addresses,
 * the refusals must cost next to nothing.
 */
export function knownLimitedAddressRefusal(ip: string): AppError | undefined {
  const retryAfterSeconds = knownLimitedFor(addressKey(ip))
  return retryAfterSeconds === undefined ? undefined : tooManyFailures(retryAfterSeconds)
}

export async function loginWithPassword(
  db: Db,
  input: { survey: string, username: string, password: string, captcha?: string | null },
  context: LoginContext,
): Promise<LoginOutcome> {
  const survey = await cachedSurveyBySlug(db, input.survey)
  if (!survey) {
    // Which surveys exist is public: no hash is spent to hide it. The attempt still counts for the address.
    await takeFailureBudgets(db, [[addressKey(context.ip), context.addressRateLimit]])
    throw unauthorized(LOGIN_FAILED_MESSAGE)
  }
  if (!survey.authModes.includes('username')) throw forbidden('This survey does not allow signing in with a username and password.')
  const challenge = captchaChallenge(survey, input.captcha, context)
  if (challenge) return challenge

  const userKey = `login:alias:${context.ip}:${survey.slug.toLowerCase()}:${input.username}`
  refuseWhenHashingFull(context.ip)
  await takeFailureBudgets(db, [[addressKey(context.ip), context.addressRateLimit], [userKey, context.rateLimit]])
  await checkCaptcha(survey, input.captcha, context)
  const record = await findRespondent(db, survey.id, input.username)
  // An unknown username costs the same hash as a known one, so timing does not tell which usernames exist.
  const passwordMatches = await verifyPassword(record?.respondent.passwordHash, input.password, context.ip, context.signal)
  if (!record || !passwordMatches || record.user.disabled) throw unauthorized(LOGIN_FAILED_MESSAGE)
  await rateLimitReset(db, userKey)
  await rateLimitGiveBack(db, addressKey(context.ip))
  return { kind: 'signedIn', record, survey }
}

/**
 * Sign-in by auth token. A valid token always signs in, even from an address over its failure limit:
 * tokens carry at least 128 bits, so the limit is there to slow scanning, not to lock out a classroom
 * behind one address where someone mistyped a link.
 */
export async function loginWithToken(
  db: Db,
  input: { token: string, captcha?: string | null },
  context: LoginContext,
): Promise<LoginOutcome> {
  const record = await findRespondentByAuthToken(db, input.token)
  const survey = record && await cachedSurveyById(db, record.respondent.surveyId)
  if (!record || !survey || record.user.disabled) {
    await takeFailureBudgets(db, [[`login:token:${context.ip}`, context.rateLimit]])
    throw unauthorized(LOGIN_FAILED_MESSAGE)
  }
  if (!survey.authModes.includes('token')) throw forbidden('This survey does not allow signing in with a link.')
  const challenge = captchaChallenge(survey, input.captcha, context)
  if (challenge) return challenge
  await checkCaptcha(survey, input.captcha, context)
  return { kind: 'signedIn', record, survey }
}
