import { createHmac, generateKeyPairSync } from 'node:crypto'
import { SignJWT, type JWTPayload } from 'jose'

const encoder = new TextEncoder()

/** Signs a partner token as a partner's backend would (HS256 by default). */
export function signPartnerToken(secret: string, payload: JWTPayload & Record<string, unknown>, options: { alg?: 'HS256' | 'HS384' | 'HS512', header?: Record<string, unknown> } = {}) {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT', ...options.header })
    .sign(encoder.encode(secret))
}

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** A token assembled by hand, for the attacks a library would refuse to produce. */
export function rawToken(header: Record<string, unknown>, payload: unknown, sign: (input: string) => string = () => '') {
  const input = `${b64url(header)}.${b64url(payload)}`
  return `${input}.${sign(input)}`
}

export const hmacSigner = (algorithm: 'sha256' | 'sha384' | 'sha512', secret: string) =>
  (input: string) => createHmac(algorithm, secret).update(input).digest('base64url')

/** An RS256 token signed with a fresh key pair the server has never seen. */
export async function rs256Token(payload: JWTPayload) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256' }).sign(privateKey)
}

export const nowSeconds = () => Math.floor(Date.now() / 1000)
