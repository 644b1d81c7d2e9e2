import type { Db } from '../database'
import type { SurveyRow } from '../database/schema'
import { forbidden, tooManyRequests, unauthorized } from '../utils/errors'
import { captchaEnabled, verifyCaptcha, type CaptchaConfig } from '../utils/captcha'
import { verifyPassword } from '../utils/passwords'
import { rateLimitHit, rateLimitPeek, rateLimitReset, type RateLimitRule } from '../utils/rate-limit'
import { findRespondent, findRespondentByAuthToken, type RespondentRecord } from './respondents'
import { findSurveyById, findSurveyBySlug } from './surveys'

export const LOGIN_FAILED_MESSAGE = 'The sign-in details are not correct, or this account cannot sign in.'

export interface LoginContext { ip: string, captcha: CaptchaConfig, rateLimit: RateLimitRule }
export type LoginOutcome
  = | { kind: 'signedIn', record: RespondentRecord, survey: SurveyRow }
    | { kind: 'challenge', challenge: { surveyId: string, provider: 'captcha' } }

function guard(db: Db, key: string, rule: RateLimitRule) {
  const state = rateLimitPeek(db, key, rule)
  if (state.limited) throw tooManyRequests(state.retryAfterSeconds, `Too many failed sign-in attempts. Try again in ${Math.ceil(state.retryAfterSeconds / 60)} minute(s).`)
}

function fail(db: Db, key: string, rule: RateLimitRule): never {
  rateLimitHit(db, key, rule)
  throw unauthorized(LOGIN_FAILED_MESSAGE)
}

/** The survey asks for a captcha at sign-in and the client has not answered one yet: a challenge, no tokens. */
async function captchaGate(survey: SurveyRow, captcha: string | null | undefined, context: LoginContext): Promise<LoginOutcome | undefined> {
  if (!survey.authCaptcha || !captchaEnabled(context.captcha)) return undefined
  if (!captcha) return { kind: 'challenge', challenge: { surveyId: survey.slug, provider: 'captcha' } }
  await verifyCaptcha(context.captcha, captcha, context.ip)
  return undefined
}

export async function loginWithPassword(db: Db, input: { survey: string, username: string, password: string, captcha?: string | null }, context: LoginContext): Promise<LoginOutcome> {
  const key = `login:alias:${context.ip}:${input.survey.toLowerCase()}:${input.username}`
  guard(db, key, context.rateLimit)
  const survey = findSurveyBySlug(db, input.survey)
  if (!survey) {
    await verifyPassword(null, input.password)
    fail(db, key, context.rateLimit)
  }
  if (!survey.authModes.includes('username')) throw forbidden('This survey does not allow signing in with a username and password.')
  const challenge = await captchaGate(survey, input.captcha, context)
  if (challenge) return challenge
  const record = findRespondent(db, survey.id, input.username)
  const passwordMatches = await verifyPassword(record?.respondent.passwordHash, input.password)
  if (!record || !passwordMatches || record.user.disabled) fail(db, key, context.rateLimit)
  rateLimitReset(db, key)
  return { kind: 'signedIn', record, survey }
}

export async function loginWithToken(db: Db, input: { token: string, captcha?: string | null }, context: LoginContext): Promise<LoginOutcome> {
  const key = `login:token:${context.ip}`
  guard(db, key, context.rateLimit)
  const record = findRespondentByAuthToken(db, input.token)
  const survey = record && findSurveyById(db, record.respondent.surveyId)
  if (!record || !survey) fail(db, key, context.rateLimit)
  if (!survey.authModes.includes('token')) throw forbidden('This survey does not allow signing in with a link.')
  const challenge = await captchaGate(survey, input.captcha, context)
  if (challenge) return challenge
  if (record.user.disabled) fail(db, key, context.rateLimit)
  return { kind: 'signedIn', record, survey }
}
