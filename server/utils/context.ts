import { getRequestProtocol, type H3Event } from 'h3'
import type { LoginContext } from '../services/login'
import type { CaptchaConfig } from './captcha'
import { clientIp } from './client-ip'
import type { RateLimitRule } from './rate-limit'

/** NUXT_TRUST_PROXY: how many proxies in front of us may be believed about the client (X-Forwarded-*). */
export const trustedProxyHops = () => Number(useRuntimeConfig().trustProxy) || 0

/** NUXT_WEBHOOKS_ALLOW_PRIVATE: webhook targets may be private or loopback addresses (tests, closed networks). */
export const webhooksAllowPrivate = () => String(useRuntimeConfig().webhooksAllowPrivate) === 'true'

export const isHttps = (event: H3Event) => getRequestProtocol(event, { xForwardedProto: trustedProxyHops() > 0 }) === 'https'

/** A rate-limit rule from runtime config, where env overrides arrive as strings. */
export const rateLimitRule = (config: { max: number | string, windowSeconds: number | string }, max = config.max): RateLimitRule =>
  ({ max: Number(max), windowSeconds: Number(config.windowSeconds) })

export function captchaConfig(): CaptchaConfig {
  const config = useRuntimeConfig()
  return {
    provider: config.captchaProvider,
    secret: config.captchaSecret,
    siteKey: config.public.captchaSiteKey,
    verifyUrl: config.captchaVerifyUrl,
    hostname: config.captchaHostname,
    timeoutMs: Number(config.captchaTimeoutMs) || 5000,
  }
}

export const requestIp = (event: H3Event) => clientIp(event, trustedProxyHops())

export function loginContext(event: H3Event): LoginContext {
  return {
    ip: requestIp(event),
    captcha: captchaConfig(),
    rateLimit: rateLimitRule(useRuntimeConfig().loginRateLimit),
  }
}
