const MAX_CACHED_KEYS = 1000
const cache = new Map<string, Promise<CryptoKey>>()
const hashes = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' } as const

/**
 * The HMAC key for a secret, imported once: importing a raw key on every sign or verify is a measurable
 * part of each request. Keys are cached by algorithm and secret (in memory only, like the secrets themselves).
 */
export function hmacKey(secret: string, alg: keyof typeof hashes): Promise<CryptoKey> {
  const id = `${alg}:${secret}`
  let key = cache.get(id)
  if (!key) {
    if (cache.size >= MAX_CACHED_KEYS) cache.clear()
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: hashes[alg] }, false, ['sign', 'verify'])
    cache.set(id, key)
  }
  return key
}
