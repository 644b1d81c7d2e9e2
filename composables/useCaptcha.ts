export interface CaptchaSettings { provider: 'none' | 'hcaptcha', siteKey: string }

/** Which captcha the server checks (none, or hCaptcha with its public site key). */
export function useCaptchaSettings() {
  return useFetch<CaptchaSettings>('/api/auth/captcha', { key: 'captcha-settings', default: (): CaptchaSettings => ({ provider: 'none', siteKey: '' }) })
}
