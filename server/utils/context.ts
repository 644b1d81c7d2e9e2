import type { H3Event } from 'h3'
import type { LoginContext } from '../services/login'
import type { CaptchaConfig } from './captcha'
import { clientIp } from './client-ip'

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

export const requestIp = (event: H3Event) => clientIp(event, Number(useRuntimeConfig().trustProxy))

export function loginContext(event: H3Event): LoginContext {
  const { loginRateLimit } = useRuntimeConfig()
  return {
    ip: requestIp(event),
    captcha: captchaConfig(),
    rateLimit: { max: Number(loginRateLimit.max), windowSeconds: Number(loginRateLimit.windowSeconds) },
  }
}
