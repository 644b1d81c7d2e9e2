import { Secret, TOTP } from 'otpauth'
import { request } from './server'

export type ConsoleTab = ReturnType<typeof consoleTab>

/** A browser tab of the console: keeps its cookie, sends the app's Origin and, once known, the CSRF token. */
export function consoleTab(origin: string) {
  let cookie = ''
  let csrf = ''
  const send = async (path: string, init: { method?: string, body?: unknown, headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { origin, ...(cookie ? { cookie } : {}), ...(csrf ? { 'x-csrf-token': csrf } : {}), ...init.headers }
    const response = await request(path, { ...init, headers })
    const set = response.headers.getSetCookie().find(value => value.startsWith('rg_admin='))
    if (set) cookie = set.split(';')[0]!
    if (response.body?.csrfToken) csrf = response.body.csrfToken
    return response
  }
  return {
    send,
    signIn: (who: { email: string, password: string }) => send('/api/admin/session', { method: 'POST', body: who }),
    get cookie() {
      return cookie
    },
    get csrf() {
      return csrf
    },
  }
}

/** The current code of an authenticator app holding this base32 secret. */
export const totpCode = (secret: string, timestamp = Date.now()) =>
  new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp })

/**
 * Sets up two-factor sign-in for a tab at the `enrol` stage, as a person with an authenticator app
 * would: the secret the set-up shows, then a first code from it. Answers the confirmation.
 */
export async function enrolTotp(tab: ConsoleTab) {
  const setup = await tab.send('/api/admin/session/totp', { method: 'POST' })
  if (setup.status !== 200) throw new Error(`TOTP set-up answered ${setup.status}: ${JSON.stringify(setup.body)}`)
  return tab.send('/api/admin/session/totp/confirm', { method: 'POST', body: { code: totpCode(setup.body.secret) } })
}
