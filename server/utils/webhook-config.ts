import type { WebhookConfig } from '../services/webhooks'

export function webhookConfig(): WebhookConfig {
  const config = useRuntimeConfig()
  return {
    allowPrivate: String(config.webhooksAllowPrivate) === 'true',
    issuer: config.public.origin || config.public.appName,
    userAgent: `RespondentGateway/${config.public.appVersion} (webhooks)`,
    retryScale: Number(config.webhooksRetryScale) > 0 ? Number(config.webhooksRetryScale) : 1,
  }
}
