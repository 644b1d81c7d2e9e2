import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core'
import { afterAll } from 'vitest'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/** A page of a test: what it reported as broken (errors, scripts or styles the CSP blocked) is in `errors`. */
export type TestPage = Page & { errors: string[] }

/** Debian's Chromium driven by playwright-core; one browser per test file, closed at the end. */
export async function useBrowser(): Promise<{ browser: Browser, newPage: (options?: BrowserContextOptions) => Promise<TestPage> }> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: run "apt-get install -y chromium" (npm test does this when it can).`)
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  })
  afterAll(() => browser.close())
  return {
    browser,
    /** A page in a context of its own (`options`: its locale, viewport …), collecting the page's errors. */
    newPage: async (options?: BrowserContextOptions) => {
      const context = await browser.newContext(options)
      const page = await context.newPage() as TestPage
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
