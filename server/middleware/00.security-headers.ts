import { getQuery, setResponseHeaders, type H3Event } from 'h3'
import { captchaOn, isHttps } from '#server/http/settings'
import { API_CONTENT_SECURITY_POLICY, carriesCredentialAnswer, carriesToken, pageContentSecurityPolicy } from '#server/utils/security-headers'

/**
 * The address the answer is for. Nuxt renders a page's error (a 404 for `/x?auth=…`) with an internal
 * request to `/__nuxt_error?url=<the page's address>` and copies that answer's headers onto the page's.
 */
function answeredAddress(event: H3Event): string {
  if (!event.path.startsWith('/__nuxt_error')) return event.path
  const { url } = getQuery(event)
  return typeof url === 'string' ? url : event.path
}

/**
 * Headers on every answer; rendered pages get their CSP again, with their inline scripts' hashes, in the
 * render:html hook. nosniff and X-Frame-Options come from the `/**` route rule (nuxt.config.ts), which
 * also covers the static files served before this middleware runs.
 */
export default defineEventHandler((event) => {
  const https = isHttps(event)
  const isApi = event.path.startsWith('/api/')
  const address = answeredAddress(event)
  const tokenInAddress = carriesToken(address)
  setResponseHeaders(event, {
    'referrer-policy': tokenInAddress ? 'no-referrer' : 'same-origin',
    'content-security-policy': isApi ? API_CONTENT_SECURITY_POLICY : pageContentSecurityPolicy([], captchaOn()),
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    ...(tokenInAddress || carriesCredentialAnswer(address) ? { 'cache-control': 'no-store' } : {}),
    ...(https ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  })
})
