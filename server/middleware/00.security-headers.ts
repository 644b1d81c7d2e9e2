import { setResponseHeaders } from 'h3'
import { isHttps } from '../utils/context'
import { API_CONTENT_SECURITY_POLICY, carriesToken, pageContentSecurityPolicy } from '../utils/security-headers'

/**
 * Headers on every answer; rendered pages get their CSP again, with their inline scripts' hashes, in the
 * render:html hook. nosniff and X-Frame-Options come from the `/**` route rule (nuxt.config.ts), which
 * also covers the static files served before this middleware runs.
 */
export default defineEventHandler((event) => {
  const config = useRuntimeConfig()
  const https = isHttps(event)
  const isApi = event.path.startsWith('/api/')
  setResponseHeaders(event, {
    'referrer-policy': carriesToken(event.path) ? 'no-referrer' : 'same-origin',
    'content-security-policy': isApi ? API_CONTENT_SECURITY_POLICY : pageContentSecurityPolicy([], config.captchaProvider === 'hcaptcha'),
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    ...(https ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  })
})
