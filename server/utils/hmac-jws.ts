import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * HMAC-signed JWTs (HS256, HS512) signed and checked in-line with node:crypto. jose (v6) signs and
 * verifies only through WebCrypto, which runs every HMAC as a job on libuv's thread pool; handing the
 * job over and back cost the event loop far more than the HMAC of a few hundred bytes itself (on a busy
 * server, a quarter of a partner's create-user). jose still decodes headers where one is read
 * (`decodeProtectedHeader`) and signs what is off the request path (webhook signatures, the demo link).
 */
export const HMAC_HASHES = { HS256: 'sha256', HS512: 'sha512' } as const
export type HmacAlgorithm = keyof typeof HMAC_HASHES

const base64urlJson = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A compact JWS of `claims` under `secret` (its UTF-8 bytes). */
export function signHmacJwt(claims: object, secret: string, alg: HmacAlgorithm = 'HS256'): string {
  const signingInput = `${base64urlJson({ alg, typ: 'JWT' })}.${base64urlJson(claims)}`
  return `${signingInput}.${createHmac(HMAC_HASHES[alg], secret).update(signingInput).digest('base64url')}`
}

/**
 * Whether a compact JWS (`header.payload.signature`) carries the HMAC of its header and payload under
 * `secret`, compared in constant time. The caller has checked that the header names `alg`.
 */
export function hmacSignatureHolds(token: string, secret: string, alg: HmacAlgorithm): boolean {
  const signingInputEnd = token.lastIndexOf('.')
  if (signingInputEnd < 0) return false
  const expected = Buffer.from(createHmac(HMAC_HASHES[alg], secret).update(token.slice(0, signingInputEnd)).digest('base64url'))
  // A digest has one base64url spelling: comparing the text compares the bytes and refuses any other spelling.
  const given = Buffer.from(token.slice(signingInputEnd + 1))
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** Whether a JWS header asks for an extension these tokens never use: critical ones (RFC 7515 4.1.11), an unencoded payload (RFC 7797). */
export function usesJwsExtension(header: Record<string, unknown>): boolean {
  return header.crit !== undefined || header.b64 !== undefined
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** The payload of a compact JWS when it is a JSON object (strict UTF-8), else undefined. */
export function jwsPayloadObject(token: string): Record<string, unknown> | undefined {
  try {
    const payload: unknown = JSON.parse(strictUtf8.decode(Buffer.from(token.split('.')[1] ?? '', 'base64url')))
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? payload as Record<string, unknown> : undefined
  }
  catch {
    return undefined
  }
}
