import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose'
import type { SurveyRow } from '../database/schema'
import type { AppError } from './errors'
import { badRequest, forbidden } from './errors'
import { hmacKey } from './hmac-keys'

export const PARTNER_JWT_ALGORITHMS = ['HS256', 'HS512'] as const
export const CLOCK_TOLERANCE_SECONDS = 30
/** A partner token is a few hundred bytes; anything near this is not one. */
export const MAX_PARTNER_JWT_LENGTH = 16 * 1024
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/

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

/** Throws 400 `errors.token` unless `token` is a string shaped like a compact JWS. */
export function assertCompactJws(token: unknown): asserts token is string {
  if (typeof token !== 'string' || token.length === 0) throw tokenError('token is required: a JWT signed with the survey\'s secret')
  if (token.length > MAX_PARTNER_JWT_LENGTH) throw tokenError(`token is longer than ${MAX_PARTNER_JWT_LENGTH} characters`)
  if (!COMPACT_JWS.test(token)) throw tokenError('token is not a compact JWS (header.payload.signature)')
}

function translateJoseError(error: unknown): AppError {
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

function audienceList(aud: unknown): string[] | undefined {
  if (aud === undefined) return undefined
  if (typeof aud === 'string') return [aud]
  if (Array.isArray(aud) && aud.every(item => typeof item === 'string')) return aud
  throw badRequest('aud claim is not valid', { aud: { msg: 'aud must be a string or an array of strings' } })
}

const sameOrigin = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '')

/**
 * Verifies a partner's create-user token against the survey's `genUserKey` (raw UTF-8 bytes) and its
 * JWT policy (SPEC.md 5.4). Throws 403 naming the failed check, keyed by the claim at fault.
 */
export async function verifyPartnerToken(token: string, survey: SurveyRow, options: PartnerTokenOptions = {}): Promise<VerifiedPartnerToken> {
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
    throw translateJoseError(error)
  }

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
