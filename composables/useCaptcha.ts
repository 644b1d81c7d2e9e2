export interface CaptchaSettings { provider: 'none' | 'hcaptcha', siteKey: string }

/** Which captcha the server checks (none, or hCaptcha with its public site key). */
export function useCaptchaSettings() {
  return useFetch<CaptchaSettings>('/api/auth/captcha', { key: 'captcha-settings', default: (): CaptchaSettings => ({ provider: 'none', siteKey: '' }) })
}

/** What every form says when the server refused the captcha answer (`errors.captcha`). */
export const CAPTCHA_REJECTED = 'The captcha was not accepted. Please solve it again.'
