import { Secret, TOTP } from 'otpauth'
import type { Page } from 'playwright-core'
import { expect } from 'vitest'
import { runCli } from './cli'
import { url } from './server'

/** The code an authenticator app shows for `secret` (base32) at `timestamp`. */
export const totpCode = (secret: string, timestamp = Date.now()) =>
  new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp })

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
