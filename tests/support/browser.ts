import { existsSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll } from 'vitest'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/** Debian's Chromium driven by playwright-core; one browser per test file, closed at the end. */
export async function useBrowser(): Promise<{ browser: Browser, newPage: () => Promise<Page & { errors: string[] }> }> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: run "apt-get install -y chromium" (npm test does this when it can).`)
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  })
  afterAll(() => browser.close())
  return {
    browser,
    newPage: async () => {
      const context = await browser.newContext()
      const page = await context.newPage() as Page & { errors: string[] }
      page.errors = []
      page.on('pageerror', error => page.errors.push(error.message))
      // A script or style the Content-Security-Policy blocked is a broken page too.
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) page.errors.push(message.text())
      })
      return page
    },
  }
}
