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

/** Addresses that carry a credential (a partner JWT or an auth token) must never leak through Referer. */
export function carriesToken(path: string): boolean {
  const [pathname, query = ''] = path.split('?')
  return pathname!.startsWith('/a/') || /^\/[^/]+\/create-user\//.test(pathname!) || /(?:^|&)auth=/.test(query)
}
