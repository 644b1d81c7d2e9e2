import { captchaConfig } from '#server/http/settings'

/** What the pages need to show the captcha widget: the provider and its public site key (never the secret). */
export default defineEventHandler(() => {
  const { provider, siteKey } = captchaConfig()
  return { provider: provider === 'hcaptcha' ? 'hcaptcha' as const : 'none' as const, siteKey: provider === 'hcaptcha' ? siteKey : '' }
})
