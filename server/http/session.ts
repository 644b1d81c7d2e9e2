import { deleteCookie, getCookie, getRequestHeader, setCookie, type H3Event } from 'h3'
import { useDb } from '#server/database'
import type { SurveyRow } from '#server/database/schema'
import { issueAccessToken, REFRESH_COOKIE, startRefreshSession, verifyAccessToken, type IssuedRefreshToken } from '#server/services/auth'
import { findRespondentById, type RespondentRecord } from '#server/services/respondents'
import { resolveAuthSecret } from '#server/services/settings'
import { requireSurvey } from '#server/services/surveys'
import { forbidden, unauthorized } from '#server/utils/errors'
import { bearerToken } from '#server/utils/tokens'
import { configuredAuthSecret, isHttps, sessionLifetimeSeconds } from './settings'

let cachedSecret: Promise<string> | undefined

/** The access-token signing secret (read from the database once; start-up creates it). */
export function useAuthSecret(): Promise<string> {
  cachedSecret ??= resolveAuthSecret(useDb(), configuredAuthSecret()).catch((error: unknown) => {
    cachedSecret = undefined
    throw error
  })
  return cachedSecret
}

export function setRefreshCookie(event: H3Event, refresh: IssuedRefreshToken) {
  setCookie(event, REFRESH_COOKIE, refresh.token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: isHttps(event),
    path: '/api/auth',
    expires: refresh.expiresAt,
  })
}

export function clearRefreshCookie(event: H3Event) {
  deleteCookie(event, REFRESH_COOKIE, { httpOnly: true, sameSite: 'lax', secure: isHttps(event), path: '/api/auth' })
}

export const readRefreshCookie = (event: H3Event) => getCookie(event, REFRESH_COOKIE)

/** Signs the respondent in: a new refresh-token family in the cookie, an access token in the answer. */
export async function signIn(event: H3Event, record: RespondentRecord, survey: SurveyRow) {
  const [refresh, accessToken] = await Promise.all([
    startRefreshSession(useDb(), record.respondent.id, sessionLifetimeSeconds()),
    useAuthSecret().then(secret => issueAccessToken(secret, record.respondent, survey)),
  ])
  setRefreshCookie(event, refresh)
  return { accessToken }
}

export interface RespondentContext { record: RespondentRecord, survey: SurveyRow }

/**
 * The respondent behind `Authorization: Bearer <access token>` on a survey route: 401 without a valid
 * token (or for a disabled account), 403 when the token belongs to another survey.
 */
export async function requireRespondent(event: H3Event, slug: string): Promise<RespondentContext> {
  const token = bearerToken(getRequestHeader(event, 'authorization'))
  if (!token) throw unauthorized('Sign in first: send the access token as "Authorization: Bearer <token>".')
  const claims = await verifyAccessToken(await useAuthSecret(), token)
  const db = useDb()
  const survey = await requireSurvey(db, slug)
  if (survey.id !== claims.surveyId) throw forbidden('This access token is for another survey.')
  const record = await findRespondentById(db, claims.respondentId)
  if (!record || record.user.disabled || record.respondent.surveyId !== survey.id) throw unauthorized('This account cannot sign in.')
  return { record, survey }
}
