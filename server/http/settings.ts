import { getRequestHost, getRequestProtocol, type H3Event } from 'h3'
import type { AdminSessionSettings } from '#server/services/admin-sessions'
import type { LoginContext } from '#server/services/login'
import type { RateLimitRule } from '#server/services/rate-limit'
import type { RegistrationContext } from '#server/services/registration'
import type { WebhookConfig } from '#server/services/webhooks'
import { captchaEnabled, type CaptchaConfig } from '#server/utils/captcha'
import { clientIp } from '#server/utils/client-ip'

// The one reader of runtime settings (`runtimeConfig` in nuxt.config.ts, each overridable by its NUXT_…
// variable, where overrides arrive as strings): the rest of the server asks here.

/** NUXT_TRUST_PROXY: how many proxies in front of us may be believed about the client (X-Forwarded-*). */
export const trustedProxyHops = () => Number(useRuntimeConfig().trustProxy) || 0

/** NUXT_WEBHOOKS_ALLOW_PRIVATE: webhook targets may be private or loopback addresses (tests, closed networks). */
export const webhooksAllowPrivate = () => String(useRuntimeConfig().webhooksAllowPrivate) === 'true'

export const isHttps = (event: H3Event) => getRequestProtocol(event, { xForwardedProto: trustedProxyHops() > 0 }) === 'https'

/** `scheme://host[:port]` as browsers send it in `Origin`, with default ports dropped; undefined when it is not one. */
export function normalOrigin(value: string): string | undefined {
  if (!/^https?:\/\/[^/\s,?#@]+\/?$/i.test(value)) return undefined
  try {
    return new URL(value).origin
  }
  catch {
    return undefined
  }
}

/** NUXT_PUBLIC_ORIGIN as configured; undefined when unset. */
export const configuredOrigin = (): string | undefined => String(useRuntimeConfig().public.origin || '') || undefined

/**
 * Where the app is reached: NUXT_PUBLIC_ORIGIN when set, else the origin this request came to (its Host,
 * or X-Forwarded-Host and -Proto behind a trusted proxy); undefined when that is not a valid origin.
 */
export function publicOrigin(event: H3Event): string | undefined {
  return configuredOrigin() ?? normalOrigin(`${isHttps(event) ? 'https' : 'http'}://${getRequestHost(event, { xForwardedHost: trustedProxyHops() > 0 })}`)
}

/** A rate-limit rule from runtime config, where env overrides arrive as strings. */
export const rateLimitRule = (config: { max: number | string, windowSeconds: number | string }, max = config.max): RateLimitRule =>
  ({ max: Number(max), windowSeconds: Number(config.windowSeconds) })

/** NUXT_ADMIN_RATE_LIMIT_*: admin API requests per token. */
export const adminRateLimit = () => rateLimitRule(useRuntimeConfig().adminRateLimit)

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

/** hCaptcha is on: the pages' CSP lets its scripts and frames in. */
export const captchaOn = () => captchaEnabled(captchaConfig())

export const requestIp = (event: H3Event) => clientIp(event, trustedProxyHops())

/** NUXT_LOGIN_RATE_LIMIT_REFUSAL_DELAY_MS: how long a refusal to an address over its sign-in limit is held (0–10,000 ms). */
export function signInRefusalDelayMs(): number {
  const value = Number(useRuntimeConfig().loginRateLimit.refusalDelayMs)
  return Number.isFinite(value) ? Math.min(Math.max(value, 0), 10_000) : 1000
}

export function loginContext(event: H3Event): LoginContext {
  const { loginRateLimit } = useRuntimeConfig()
  return {
    ip: requestIp(event),
    captcha: captchaConfig(),
    rateLimit: rateLimitRule(loginRateLimit),
    addressRateLimit: rateLimitRule(loginRateLimit, loginRateLimit.addressMax),
    signal: requestSignal(event),
  }
}

/** Aborted when the client closes the connection before its answer was sent. */
export function requestSignal(event: H3Event): AbortSignal {
  const controller = new AbortController()
  const response = event.node.res
  response.once('close', () => {
    if (!response.writableFinished) controller.abort()
  })
  return controller.signal
}

export function registrationContext(event: H3Event): RegistrationContext {
  const { generateUserRateLimit: limits } = useRuntimeConfig()
  return {
    ip: requestIp(event),
    captcha: captchaConfig(),
    successLimit: rateLimitRule(limits),
    failureLimit: rateLimitRule(limits, limits.failedMax),
    signal: requestSignal(event),
  }
}

/** The console's sign-ins: NUXT_ADMIN_SESSION_*, NUXT_ADMIN_REQUIRE_MFA, NUXT_ADMIN_LOGIN_RATE_LIMIT_*. */
export function adminSessionSettings(): AdminSessionSettings {
  const { adminSession, adminRequireMfa, adminLoginRateLimit } = useRuntimeConfig()
  return {
    idleMinutes: Number(adminSession.idleMinutes) || 30,
    absoluteHours: Number(adminSession.absoluteHours) || 12,
    requireMfaForAll: String(adminRequireMfa) === 'true',
    accountRateLimit: rateLimitRule(adminLoginRateLimit),
    addressRateLimit: rateLimitRule(adminLoginRateLimit, adminLoginRateLimit.addressMax),
  }
}

/** NUXT_SESSION_LIFETIME_DAYS: how long a sign-in lasts at most, however often its refresh token is rotated. */
export const sessionLifetimeSeconds = () => Math.round((Number(useRuntimeConfig().sessionLifetimeDays) || 30) * 24 * 3600)

/** NUXT_AUTH_SECRET; unset, the server generates one and keeps it in the database. */
export const configuredAuthSecret = (): string | undefined => useRuntimeConfig().authSecret || undefined

/** NUXT_SEED_DEMO: create the demo surveys on the first start with an empty database. */
export const seedDemo = () => Boolean(useRuntimeConfig().seedDemo)

export const appVersion = () => useRuntimeConfig().public.appVersion

export function webhookConfig(): WebhookConfig {
  const config = useRuntimeConfig()
  return {
    allowPrivate: webhooksAllowPrivate(),
    issuer: configuredOrigin() ?? config.public.appName,
    userAgent: `RespondentGateway/${config.public.appVersion} (webhooks)`,
    retryScale: Number(config.webhooksRetryScale) > 0 ? Number(config.webhooksRetryScale) : 1,
    timeoutMs: Math.min(60, Math.max(1, Number(config.webhooksTimeoutSeconds) || 10)) * 1000,
  }
}

/** NUXT_WEBHOOKS_POLL_MS: how often the webhook worker looks for due deliveries (at least 50 ms). */
export const webhooksPollMs = () => Math.max(50, Number(useRuntimeConfig().webhooksPollMs) || 1000)

/** The password-hashing queue's bounds (NUXT_PASSWORD_HASH_*). */
export function passwordHashingLimits() {
  const config = useRuntimeConfig()
  return {
    concurrency: Number(config.passwordHashConcurrency),
    queueMax: Number(config.passwordHashQueueMax),
    queueMaxPerLane: Number(config.passwordHashQueueMaxPerAddress),
  }
}
