import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose'
import type { SurveyRow } from '#server/database/schema'
import type { AppError } from './errors'
import { badRequest, forbidden } from './errors'
import { hmacKey } from './hmac-keys'

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

function translateJoseError(error: unknown): AppError {
  // jose checks the claims after the signature: an out-of-range date is reported before the check it failed.
  if (error instanceof joseErrors.JWTExpired || error instanceof joseErrors.JWTClaimValidationFailed) {
    const dateError = numericDateError(error.payload)
    if (dateError) return dateError
  }
  if (error instanceof joseErrors.JWTExpired) return claimError('exp', 'token expired')
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return claimError('token', 'invalid signature')
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return claimError('alg', 'algorithm not allowed')
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.reason === 'check_failed' && error.claim === 'nbf') return claimError('nbf', 'token not yet valid')
    if (error.reason === 'check_failed') return claimError(error.claim, `${error.claim} claim check failed`)
    return badRequest(`${error.claim} claim is not valid`, { [error.claim]: { msg: `${error.claim} must be a NumericDate (seconds since the epoch)` } })
  }
  if (error instanceof joseErrors.JOSENotSupported) return claimError('token', 'token uses an unsupported feature')
  if (error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JWSInvalid) return claimError('token', 'invalid token')
  return claimError('token', 'invalid token')
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** Whether the token's payload is a JSON object, read as jose reads it (strict UTF-8). */
function payloadIsJsonObject(token: string): boolean {
  try {
    const payload: unknown = JSON.parse(strictUtf8.decode(Buffer.from(token.split('.')[1] ?? '', 'base64url')))
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
  }
  catch {
    return false
  }
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
  let alg: unknown
  try {
    alg = decodeProtectedHeader(token).alg
  }
  catch {
    throw tokenError('token header is not valid base64url JSON')
  }
  if (typeof alg !== 'string' || !(PARTNER_JWT_ALGORITHMS as readonly string[]).includes(alg))
    throw claimError('alg', `algorithm not allowed: only ${PARTNER_JWT_ALGORITHMS.join(' and ')} are accepted`)

  const now = options.now ?? new Date()
  let payload: JWTPayload
  try {
    ({ payload } = await jwtVerify(token, await hmacKey(survey.genUserKey ?? '', alg as typeof PARTNER_JWT_ALGORITHMS[number]), {
      algorithms: [...PARTNER_JWT_ALGORITHMS],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: now,
    }))
  }
  catch (error) {
    // jose parses the claims only once the signature holds: a payload that is not a JSON object is then
    // the request's fault (400, as Intake24 answers when it validates the verified payload), not a refusal.
    if (error instanceof joseErrors.JWTInvalid && !payloadIsJsonObject(token))
      throw tokenError('token payload must be a JSON object of claims')
    throw translateJoseError(error)
  }
  const dateError = numericDateError(payload)
  if (dateError) throw dateError

  const nowSeconds = Math.floor(now.getTime() / 1000)
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
