import type { WebhookConfig } from '../services/webhooks'
import { webhooksAllowPrivate } from './context'

export function webhookConfig(): WebhookConfig {
  const config = useRuntimeConfig()
  return {
    allowPrivate: webhooksAllowPrivate(),
    issuer: config.public.origin || config.public.appName,
    userAgent: `RespondentGateway/${config.public.appVersion} (webhooks)`,
    retryScale: Number(config.webhooksRetryScale) > 0 ? Number(config.webhooksRetryScale) : 1,
  }
}
