import { captchaConfig } from '../../utils/context'

/** What the pages need to show the captcha widget: the provider and its public site key (never the secret). */
export default defineEventHandler(() => {
  const { provider, siteKey } = captchaConfig()
  return { provider: provider === 'hcaptcha' ? 'hcaptcha' : 'none', siteKey: provider === 'hcaptcha' ? siteKey : '' }
})
