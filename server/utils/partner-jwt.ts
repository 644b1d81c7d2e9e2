import { decodeProtectedHeader, type JWTPayload } from 'jose'
import type { SurveyRow } from '#server/database/schema'
import type { AppError } from './errors'
import { badRequest, forbidden } from './errors'
import { hmacSignatureHolds, jwsPayloadObject, usesJwsExtension } from './hmac-jws'

export const PARTNER_JWT_ALGORITHMS = ['HS256', 'HS512'] as const
export const CLOCK_TOLERANCE_SECONDS = 30
/** The latest NumericDate accepted in `exp`, `nbf` and `iat`: 9999-12-31T23:59:59Z. */
export const MAX_NUMERIC_DATE = 253402300799
const NUMERIC_DATE_CLAIMS = ['exp', 'nbf', 'iat'] as const

export interface PartnerTokenOptions {
  /** NUXT_PUBLIC_ORIGIN: when set, an `aud` claim must include it. */
  publicOrigin?: string
  now?: Date
}

export interface VerifiedPartnerToken {
  payload: JWTPayload & Record<string, unknown>
  /** When a single-use `jti` may be forgotten (the token's own expiry, plus the tolerance). */
  jtiExpiresAt?: Date
}

const tokenError = (message: string) => badRequest(message, { token: { msg: message } })
const claimError = (claim: string, message: string) => forbidden(message, { [claim]: { msg: message } })

/**
 * 400 naming the first NumericDate claim that is not a number from 0 (the epoch) to MAX_NUMERIC_DATE,
 * if any: a date beyond what a Date can hold must not reach the database (a single-use token's `exp`
 * is stored).
 */
function numericDateError(payload: Record<string, unknown>): AppError | undefined {
  const claim = NUMERIC_DATE_CLAIMS.find((name) => {
    const value = payload[name]
    return value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_NUMERIC_DATE)
  })
  if (!claim) return undefined
  return badRequest(`${claim} claim is not valid`, { [claim]: { msg: `${claim} must be a NumericDate: seconds since the epoch, from 0 to ${MAX_NUMERIC_DATE} (the end of year 9999)` } })
}

function audienceList(aud: unknown): string[] | undefined {
  if (aud === undefined) return undefined
  if (typeof aud === 'string') return [aud]
  if (Array.isArray(aud) && aud.every(item => typeof item === 'string')) return aud
  throw badRequest('aud claim is not valid', { aud: { msg: 'aud must be a string or an array of strings' } })
}

const sameOrigin = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '')

/**
 * Verifies a partner's create-user token against the survey's `genUserKey` (raw UTF-8 bytes) and its
 * JWT policy. Throws 403 naming the failed check, keyed by the claim at fault; 400 for a
 * correctly signed token whose payload is not a JSON object, or whose date claims are not NumericDates.
 * The token's shape (a compact JWS of bounded length) is checked before, by `createUserBodySchema`.
 */
export async function verifyPartnerToken(
  token: string,
  survey: SurveyRow,
  options: PartnerTokenOptions = {},
): Promise<VerifiedPartnerToken> {
  let header: ReturnType<typeof decodeProtectedHeader>
  try {
    header = decodeProtectedHeader(token)
  }
  catch {
    throw tokenError('token header is not valid base64url JSON')
  }
  const alg = header.alg
  if (typeof alg !== 'string' || !(PARTNER_JWT_ALGORITHMS as readonly string[]).includes(alg))
    throw claimError('alg', `algorithm not allowed: only ${PARTNER_JWT_ALGORITHMS.join(' and ')} are accepted`)
  if (usesJwsExtension(header)) throw claimError('token', 'token uses an unsupported feature')
  if (!hmacSignatureHolds(token, survey.genUserKey ?? '', alg as typeof PARTNER_JWT_ALGORITHMS[number]))
    throw claimError('token', 'invalid signature')

  // Once the signature holds, a payload that is not a JSON object is the request's fault (400, as
  // Intake24 answers when it validates the verified payload), not a refusal.
  const payload = jwsPayloadObject(token) as JWTPayload | undefined
  if (!payload) throw tokenError('token payload must be a JSON object of claims')
  const dateError = numericDateError(payload)
  if (dateError) throw dateError

  const now = options.now ?? new Date()
  const nowSeconds = Math.floor(now.getTime() / 1000)
  if (payload.nbf !== undefined && payload.nbf > nowSeconds + CLOCK_TOLERANCE_SECONDS) throw claimError('nbf', 'token not yet valid')
  if (payload.exp !== undefined && payload.exp <= nowSeconds - CLOCK_TOLERANCE_SECONDS) throw claimError('exp', 'token expired')
  if (payload.iat !== undefined && payload.iat > nowSeconds + CLOCK_TOLERANCE_SECONDS)
    throw claimError('iat', 'token issued in the future (iat)')

  if (payload.sub !== undefined && (typeof payload.sub !== 'string' || payload.sub.toLowerCase() !== survey.slug.toLowerCase()))
    throw claimError('sub', 'token is for another survey (sub)')

  const policy = survey.jwtPolicy ?? {}
  const audiences = audienceList(payload.aud)
  const requiredAudiences = [policy.audience ?? []].flat()
  if (requiredAudiences.length && !audiences) throw claimError('aud', 'token has no aud claim, which this survey requires')
  if (audiences) {
    if (options.publicOrigin && !audiences.some(aud => sameOrigin(aud, options.publicOrigin!)))
      throw claimError('aud', 'token is for another audience (aud)')
    if (requiredAudiences.length && !audiences.some(aud => requiredAudiences.some(required => sameOrigin(aud, required))))
      throw claimError('aud', 'token is for another audience (aud)')
  }

  if (policy.issuer) {
    if (payload.iss === undefined) throw claimError('iss', 'token has no iss claim, which this survey requires')
    if (payload.iss !== policy.issuer) throw claimError('iss', 'token is from an unexpected issuer (iss)')
  }

  if ((policy.requireExp || policy.maxLifetimeSeconds) && payload.exp === undefined)
    throw claimError('exp', 'token has no exp claim, which this survey requires')
  if (policy.maxLifetimeSeconds && payload.exp !== undefined) {
    const issuedAt = payload.iat ?? nowSeconds
    if (payload.exp - issuedAt > policy.maxLifetimeSeconds)
      throw claimError('exp', `token lifetime exceeds the survey's maximum of ${policy.maxLifetimeSeconds} seconds`)
  }

  let jtiExpiresAt: Date | undefined
  if (policy.singleUse) {
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256)
      throw claimError('jti', 'token has no jti claim, which this survey requires (single-use tokens)')
    jtiExpiresAt = payload.exp !== undefined
      ? new Date((payload.exp + CLOCK_TOLERANCE_SECONDS) * 1000)
      : new Date(8.64e15)
  }
  return { payload: payload as VerifiedPartnerToken['payload'], jtiExpiresAt }
}
