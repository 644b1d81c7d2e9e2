import { decodeAscii } from './redact'

export const HCAPTCHA_SOURCES = 'https://hcaptcha.com https://*.hcaptcha.com'

/**
 * The page policy: only the app's own origin (plus hCaptcha when it is on). Inline scripts run only when
 * their SHA-256 is listed: hashes, not nonces, so a rendered page stays valid when it is served from cache.
 */
export function pageContentSecurityPolicy(scriptHashes: string[], captcha: boolean): string {
  const extra = captcha ? ` ${HCAPTCHA_SOURCES}` : ''
  return [
    `default-src 'self'`,
    `script-src 'self'${scriptHashes.map(hash => ` 'sha256-${hash}'`).join('')}${extra}`,
    `style-src 'self' 'unsafe-inline'${extra}`,
    `img-src 'self' data:`,
    `font-src 'self'`,
    `connect-src 'self'${extra}`,
    `frame-src ${captcha ? HCAPTCHA_SOURCES : `'none'`}`,
    `object-src 'none'`,
    `base-uri 'none'`,
    `form-action 'self'`,
    `frame-ancestors 'none'`,
  ].join('; ')
}

/** API answers are data: nothing in them may run, load or be framed. */
export const API_CONTENT_SECURITY_POLICY = `default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`

/**
 * Addresses that carry a credential (a partner JWT or an auth token), which must never leak through Referer
 * or a cache: `/a/…`, `/{slug}/create-user/…` (the router matches paths ignoring case and decodes them), and
 * any query with an `auth` parameter as the app's router reads one: split on `&`, the name percent-decoded
 * once (`%61uth`), case kept (`AUTH` is not the app's parameter).
 */
export function carriesToken(path: string): boolean {
  const queryStart = path.indexOf('?')
  const pathname = decodeAscii(queryStart < 0 ? path : path.slice(0, queryStart)).toLowerCase()
  if (pathname.startsWith('/a/') || /^\/[^/]+\/create-user\//.test(pathname)) return true
  if (queryStart < 0) return false
  return path.slice(queryStart + 1).split('#')[0]!.split('&').some(part => decodeAscii(part.split('=')[0]!) === 'auth')
}

/** API answers that carry a credential (tokens, generated passwords, auth links) or take one: sign-in, refresh, provisioning, admin. */
export function carriesCredentialAnswer(path: string): boolean {
  const pathname = decodeAscii(path.split('?')[0]!).toLowerCase()
  return /^\/api\/(?:auth|admin)\//.test(pathname) || /^\/api\/surveys\/[^/]+\/(?:create-user|generate-user)(?:\/|$)/.test(pathname)
}
