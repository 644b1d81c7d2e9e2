import { Secret, TOTP } from 'otpauth'
import type { Page } from 'playwright-core'
import { expect } from 'vitest'
import { runCli } from './cli'
import { request, url } from './server'

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

// The browser tests' side: accounts made with the CLI, and the console's sign-in pages driven in Chromium.

export interface ConsoleAccountInput { email: string, name: string, role: 'owner' | 'staff', surveys?: string[], password?: string }

/** `admins:create` as an administrator runs it; with a password, through --password-stdin. Returns what it printed. */
export function createConsoleAccount(databasePath: string, account: ConsoleAccountInput, env: Record<string, string> = {}): string {
  const args = ['admins:create', '--email', account.email, '--name', account.name, '--role', account.role]
  if (account.surveys) args.push('--surveys', account.surveys.join(','))
  if (account.password) args.push('--password-stdin')
  const result = runCli(args, databasePath, env, account.password)
  expect(result.status, result.stderr).toBe(0)
  return result.stdout
}

/** Fills in the console's sign-in form (the page must be on /admin/login). */
export async function submitPassword(page: Page, email: string, password: string) {
  await page.locator('#login-email').fill(email)
  await page.locator('#login-password').fill(password)
  await page.getByTestId('sign-in').click()
}

/**
 * An owner's first sign-in: password, then the two-factor set-up (the key read from the page, the code
 * computed from it as an app would), then the recovery codes; ends on the surveys list. `check` runs on
 * each step as it is shown (for axe).
 */
type Check = (where: string) => Promise<void>
export async function firstOwnerSignIn(page: Page, email: string, password: string, check: Check = async () => {}) {
  await page.goto(url('/admin'))
  await page.waitForURL(/\/admin\/login/)
  await page.locator('#login-email').waitFor()
  await check('/admin/login')
  await submitPassword(page, email, password)
  const key = page.getByTestId('totp-secret')
  await key.waitFor()
  await check('/admin/login, two-factor set-up')
  const secret = (await key.textContent())!.trim()
  await page.locator('#enrol-code').fill(totpCode(secret))
  await page.getByTestId('confirm-totp').click()
  const codes = page.getByTestId('recovery-codes')
  await codes.waitFor()
  await check('/admin/login, recovery codes')
  const recoveryCodes = (await codes.locator('li').allTextContents()).map(code => code.trim())
  await page.getByTestId('recovery-done').click()
  await page.waitForURL(address => new URL(address).pathname === '/admin')
  return { secret, recoveryCodes }
}
