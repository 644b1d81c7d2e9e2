import { AppError, badRequest } from './errors'

export interface CaptchaConfig {
  provider: string
  secret: string
  siteKey: string
  verifyUrl: string
  hostname: string
  timeoutMs: number
}

export const captchaEnabled = (config: CaptchaConfig) => config.provider === 'hcaptcha'

const captchaError = (message: string) => badRequest(message, { captcha: { msg: message } })

/**
 * Checks a captcha answer with the provider (hCaptcha's siteverify protocol). No provider configured:
 * nothing to check. A provider that does not answer in time is 503, never a hang.
 */
export async function verifyCaptcha(config: CaptchaConfig, response: string | null | undefined, remoteIp: string): Promise<void> {
  if (!captchaEnabled(config)) return
  if (!response) throw captchaError('Please complete the captcha.')
  const form = new URLSearchParams({ secret: config.secret, response, remoteip: remoteIp })
  if (config.siteKey) form.set('sitekey', config.siteKey)
  let result: { 'success'?: boolean, 'hostname'?: string, 'error-codes'?: string[] }
  try {
    const answer = await fetch(config.verifyUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
      signal: AbortSignal.timeout(config.timeoutMs),
    })
    if (!answer.ok) throw new Error(`captcha provider answered ${answer.status}`)
    result = await answer.json() as typeof result
  }
  catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError'
    console.warn(`[captcha] verification unavailable: ${timedOut ? `no answer within ${config.timeoutMs} ms` : (error as Error).message}`)
    throw new AppError(503, 'The captcha could not be checked right now. Please try again in a moment.', undefined, { 'Retry-After': '30' })
  }
  if (result.success !== true) throw captchaError('The captcha was not solved. Please try again.')
  if (config.hostname && result.hostname !== config.hostname) throw captchaError('The captcha was solved for another site.')
}
