import { randomUUID } from 'node:crypto'
import { and, eq, isNull } from 'drizzle-orm'
import { decodeProtectedHeader } from 'jose'
import { engineOf, read, tables, write, type Db, type Tx } from '#server/database'
import type { NewRefreshSession } from '#server/database/engine'
import type { RespondentRow, SurveyRow } from '#server/database/schema'
import { exec, first, type Steps } from '#server/database/steps'
import { unauthorized } from '#server/utils/errors'
import { hmacSignatureHolds, jwsPayloadObject, signHmacJwt, usesJwsExtension } from '#server/utils/hmac-jws'
import { randomToken, sha256 } from '#server/utils/tokens'
import { findRespondentById, type RespondentRecord } from './respondents'
import { findSurveyById } from './surveys'

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60
/** How long a sign-in lasts at most, however often its refresh token is rotated (NUXT_SESSION_LIFETIME_DAYS). */
export const DEFAULT_SESSION_LIFETIME_SECONDS = 30 * 24 * 3600
export const REFRESH_COOKIE = 'rg_refresh'
const ACCESS_AUDIENCE = 'respondent'
const ISSUER = 'respondent-gateway'

export interface AccessClaims { respondentId: number, surveyId: number }

/** A 15-minute access token for one respondent in one survey. */
export async function issueAccessToken(secret: string, respondent: RespondentRow, survey: SurveyRow): Promise<string> {
  const issuedAt = Math.floor(Date.now() / 1000)
  return signHmacJwt({
    uid: respondent.userId,
    sid: survey.id,
    survey: survey.slug,
    sub: String(respondent.id),
    iss: ISSUER,
    aud: ACCESS_AUDIENCE,
    iat: issuedAt,
    exp: issuedAt + ACCESS_TOKEN_TTL_SECONDS,
  }, secret)
}

function accessTokenHeaderIsOurs(token: string): boolean {
  try {
    const header = decodeProtectedHeader(token)
    return header.alg === 'HS256' && !usesJwsExtension(header)
  }
  catch {
    return false
  }
}

/** The claims of an access token this server signed: 401 when it is not one, or has expired. */
export async function verifyAccessToken(secret: string, token: string, now = new Date()): Promise<AccessClaims> {
  const notValid = () => unauthorized('The access token is not valid.')
  if (!accessTokenHeaderIsOurs(token) || !hmacSignatureHolds(token, secret, 'HS256')) throw notValid()
  const payload = jwsPayloadObject(token)
  if (!payload || payload.iss !== ISSUER || payload.aud !== ACCESS_AUDIENCE) throw notValid()
  if (typeof payload.exp !== 'number') throw notValid()
  if (payload.exp <= Math.floor(now.getTime() / 1000)) throw unauthorized('The access token has expired.')
  const respondentId = Number(payload.sub)
  if (typeof payload.sub !== 'string' || !Number.isSafeInteger(respondentId) || typeof payload.sid !== 'number') throw notValid()
  return { respondentId, surveyId: payload.sid }
}

export interface IssuedRefreshToken { token: string, expiresAt: Date }

/** A fresh refresh token and the row that stores it (its digest only). */
function newRefreshToken(respondentId: number, familyId: string, expiresAt: Date, now: Date) {
  const token = randomToken(32)
  const session: NewRefreshSession = { familyId, respondentId, tokenHash: sha256(token), expiresAt, createdAt: now }
  return { issued: { token, expiresAt }, session }
}

function* storeRefreshToken(tx: Db | Tx, respondentId: number, familyId: string, expiresAt: Date, now: Date): Steps<IssuedRefreshToken> {
  const { issued, session } = newRefreshToken(respondentId, familyId, expiresAt, now)
  yield* exec(tx.insert(tables(tx).refreshSessions).values(session))
  return issued
}

/** A new sign-in: a new refresh-token family, which ends `lifetimeSeconds` from now at the latest. */
export async function startRefreshSession(
  db: Db,
  respondentId: number,
  lifetimeSeconds = DEFAULT_SESSION_LIFETIME_SECONDS,
  now = new Date(),
): Promise<IssuedRefreshToken> {
  const { issued, session } = newRefreshToken(respondentId, randomUUID(), new Date(now.getTime() + lifetimeSeconds * 1000), now)
  await engineOf(db).insertRefreshSession(db, session)
  return issued
}

export interface RotatedSession { record: RespondentRecord, survey: SurveyRow, refresh: IssuedRefreshToken }

function* revokeFamilyIn(tx: Db | Tx, familyId: string, now: Date): Steps<void> {
  const { refreshSessions } = tables(tx)
  yield* exec(tx.update(refreshSessions).set({ revokedAt: now })
    .where(and(eq(refreshSessions.familyId, familyId), isNull(refreshSessions.revokedAt))))
}

/**
 * Exchanges a refresh token for a new one in the same family, expiring when the family does: rotation
 * never extends a sign-in. A token that was already rotated is being replayed — stolen, or a copy: the
 * whole family is revoked and both holders must sign in again. The rotation is a conditional UPDATE
 * (only while not rotated), so of two servers rotating one token at the same moment one wins and the
 * other sees a replay.
 */
export async function rotateRefreshToken(db: Db, token: string | undefined, now = new Date()): Promise<RotatedSession> {
  if (!token || token.length > 128) throw unauthorized('No valid session. Please sign in again.')
  const result = await write(db, function* (tx) {
    const { refreshSessions } = tables(tx)
    const session = yield* first(tx.select().from(refreshSessions).where(eq(refreshSessions.tokenHash, sha256(token))))
    if (!session || session.revokedAt || session.expiresAt <= now) return { error: 'invalid' as const }
    const rotated = !session.rotatedAt && (yield* first(tx.update(refreshSessions).set({ rotatedAt: now })
      .where(and(eq(refreshSessions.id, session.id), isNull(refreshSessions.rotatedAt))).returning({ id: refreshSessions.id })))
    if (!rotated) {
      yield* revokeFamilyIn(tx, session.familyId, now)
      return { error: 'reused' as const }
    }
    return { session, refresh: yield* storeRefreshToken(tx, session.respondentId, session.familyId, session.expiresAt, now) }
  })
  if ('error' in result) {
    throw unauthorized(result.error === 'reused'
      ? 'This session was ended because its refresh token was used twice. Please sign in again.'
      : 'No valid session. Please sign in again.')
  }
  const record = await findRespondentById(db, result.session.respondentId)
  const survey = record && await findSurveyById(db, record.respondent.surveyId)
  if (!record || !survey || record.user.disabled) {
    await revokeRefreshFamily(db, result.session.familyId, now)
    throw unauthorized('No valid session. Please sign in again.')
  }
  return { record, survey, refresh: result.refresh }
}

export function revokeRefreshFamily(db: Db, familyId: string, now = new Date()): Promise<void> {
  return read(db, db => revokeFamilyIn(db, familyId, now))
}

/**
 * Ends every sign-in of a respondent: after their credentials changed or their account was disabled.
 * Access tokens already issued stay valid until they expire (at most ACCESS_TOKEN_TTL_SECONDS).
 */
export function* revokeRespondentSessions(tx: Db | Tx, respondentId: number, now = new Date()): Steps<void> {
  const { refreshSessions } = tables(tx)
  yield* exec(tx.update(refreshSessions).set({ revokedAt: now })
    .where(and(eq(refreshSessions.respondentId, respondentId), isNull(refreshSessions.revokedAt))))
}

/** Logout: ends the session the token belongs to (its whole family). Unknown tokens are ignored. */
export async function revokeRefreshToken(db: Db, token: string | undefined, now = new Date()): Promise<void> {
  if (!token || token.length > 128) return
  await read(db, function* (db) {
    const { refreshSessions } = tables(db)
    const session = yield* first(db.select().from(refreshSessions).where(eq(refreshSessions.tokenHash, sha256(token))))
    if (session) yield* revokeFamilyIn(db, session.familyId, now)
  })
}
