import { afterAll, describe, expect, it } from 'vitest'
import { axeViolations } from '../support/axe'
import { useBrowser, type TestPage } from '../support/browser'
import { createConsoleAccount, firstOwnerSignIn } from '../support/console'
import { url, useTestServer } from '../support/server'
import { startWebhookReceiver } from '../support/webhook-receiver'

// Every console page, in each of its states worth seeing (empty, filled in, with a message, with a secret
// shown once, with the confirmation dialog open), through axe-core's WCAG 2.1 A and AA rules, at a laptop's
// 1024 px and a tablet's 768 px, where the page must not scroll sideways (a wide table may, in its own box).
const receiver = await startWebhookReceiver()
afterAll(() => receiver.stop())
const server = await useTestServer({ NUXT_WEBHOOKS_ALLOW_PRIVATE: 'true', NUXT_WEBHOOKS_POLL_MS: '100' })
const { newPage } = await useBrowser()
const OWNER = { email: 'walk@example.org', name: 'Wendy Walker', role: 'owner' as const, password: 'a long walking passphrase' }
const WIDTHS = [1024, 768]

/** The check of one page as it is now: axe at each width, and no sideways scrolling of the page. */
function checker(page: TestPage, found: string[]) {
  return async (where: string) => {
    // The console is in English whatever the browser's language (the respondent pages follow it).
    const lang = await page.locator('html').getAttribute('lang')
    if (lang !== 'en') found.push(`${where}: <html lang="${lang}">, not en`)
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 })
      const overflow = await page.evaluate(() => {
        const { document } = globalThis as unknown as { document: { documentElement: { scrollWidth: number, clientWidth: number } } }
        return document.documentElement.scrollWidth - document.documentElement.clientWidth
      })
      if (overflow > 0) found.push(`${where} at ${width} px: the page scrolls sideways by ${overflow} px`)
      found.push(...await axeViolations(page, `${where} at ${width} px`))
    }
    await page.setViewportSize({ width: 1024, height: 900 })
  }
}

describe('the console (axe-core, WCAG 2.1 A and AA; 1024 and 768 px)', () => {
  it('has no violation and no sideways scrolling on any page', async () => {
    createConsoleAccount(server.databasePath, OWNER)
    const page = await newPage({ viewport: { width: 1024, height: 900 }, locale: 'de-DE' })
    const found: string[] = []
    const check = checker(page, found)

    await firstOwnerSignIn(page, OWNER.email, OWNER.password, check)
    await page.getByTestId('empty-surveys').waitFor()
    await check('/admin with no survey')

    await page.getByTestId('new-survey').click()
    await page.locator('#survey-slug').waitFor()
    await check('/admin/surveys/new')
    await page.locator('#survey-slug').fill('walk')
    await page.locator('#survey-name').fill('Walk study')
    await page.locator('#survey-supportEmail').fill('no address')
    await page.getByTestId('save-survey').click()
    await page.getByTestId('error-survey-supportEmail').waitFor()
    await check('/admin/surveys/new with a message for a field')
    await page.locator('#survey-supportEmail').fill('walk@example.org')
    await page.getByTestId('add-notification').click()
    await page.locator('#survey-notification-0-url').fill(`${receiver.origin}/walk`)
    await page.locator('#survey-redirect-url').fill('https://partner.example.org/done?id={identifier}')
    await page.getByTestId('save-survey').click()
    await page.waitForURL(/\/admin\/surveys\/walk\?created=1$/)
    await page.getByTestId('new-webhook-secret').waitFor()
    await check('/admin/surveys/{slug} just created, its webhook secret shown once')

    await page.getByTestId('generate-jwt-secret').click()
    await page.getByTestId('new-jwt-secret').waitFor()
    await page.getByTestId('preview-completion').click()
    await page.getByTestId('completion-url').waitFor()
    await page.getByTestId('send-test-event').click()
    await page.getByTestId('test-event-result').waitFor()
    await check('/admin/surveys/{slug} with secrets, the completion URL and a test event')
    await page.getByTestId('generate-jwt-secret').click()
    await page.getByRole('dialog').waitFor()
    await check('/admin/surveys/{slug} with the confirmation dialog')
    await page.keyboard.press('Escape')
    await page.getByRole('dialog').waitFor({ state: 'hidden' })

    await page.getByTestId('open-respondents').click()
    await page.getByTestId('empty-respondents').waitFor()
    await check('respondents, none yet')
    await page.locator('#new-username').fill('walker-1')
    await page.getByTestId('add-respondent').click()
    await page.getByTestId('respondent-links').waitFor()
    await page.getByTestId('respondent-list').waitFor()
    await page.getByTestId('export-csv').click()
    await expect.poll(() => page.getByTestId('export-status').textContent()).toMatch(/^Done: 1 row/)
    await check('respondents with a list, links and an export')

    await page.getByRole('link', { name: 'Deliveries' }).click()
    await page.getByTestId('delivery-list').waitFor()
    await check('/admin/deliveries')
    await page.locator('#filter-status').selectOption('failed')
    await page.getByTestId('apply-filter').click()
    await page.getByTestId('empty-deliveries').waitFor()
    await check('/admin/deliveries, none matching')

    await page.getByRole('link', { name: 'Audit log' }).click()
    await page.getByTestId('audit-list').waitFor()
    await check('/admin/audit')

    await page.getByRole('link', { name: 'Access tokens' }).click()
    await page.getByTestId('empty-tokens').waitFor()
    await check('/admin/tokens, none yet')
    await page.locator('#token-name').fill('walk-portal')
    await page.locator('#token-scope-respondents\\:read').check()
    await page.getByTestId('create-token').click()
    await page.getByTestId('new-token').waitFor()
    await page.getByTestId('token-list').waitFor()
    await check('/admin/tokens with a token shown once')

    await page.getByRole('link', { name: 'Accounts' }).click()
    await page.getByTestId('account-list').waitFor()
    await page.locator('#account-email').fill('helper@example.org')
    await page.locator('#account-name').fill('Helper')
    await page.getByTestId('account-surveys-some').check()
    await page.getByTestId('create-account').click()
    // "Only these surveys" with none ticked: the API's message for the field.
    await page.locator('#account-surveys-error').waitFor()
    await check('/admin/accounts with a message for a field')
    await page.locator('#account-surveys-walk').check()
    await page.getByTestId('create-account').click()
    await page.getByTestId('password-link').waitFor()
    await check('/admin/accounts with a set-password link shown once')
    const link = (await page.getByTestId('password-link').textContent())!.trim()
    expect(link).toMatch(/\/admin\/set-password#\S+$/)

    const newcomer = await newPage({ viewport: { width: 1024, height: 900 } })
    const checkNewcomer = checker(newcomer, found)
    await newcomer.goto(link)
    await newcomer.locator('#new-password').waitFor()
    await checkNewcomer('/admin/set-password')
    await newcomer.locator('#new-password').fill('a helper passphrase')
    await newcomer.locator('#repeat-password').fill('a different one')
    await newcomer.getByTestId('set-password').click()
    await newcomer.locator('#repeat-password[aria-invalid="true"]').waitFor()
    await checkNewcomer('/admin/set-password with a message for a field')
    await newcomer.locator('#repeat-password').fill('a helper passphrase')
    await newcomer.getByTestId('set-password').click()
    await newcomer.getByRole('link', { name: 'Sign in' }).click()
    await newcomer.locator('#login-email').fill('helper@example.org')
    await newcomer.locator('#login-password').fill('a helper passphrase')
    await newcomer.getByTestId('sign-in').click()
    // A staff account limited to the one survey ticked for it.
    await newcomer.getByTestId('survey-list').waitFor()
    expect(await newcomer.getByTestId('survey-list').locator('tbody tr').count()).toBe(1)
    await checkNewcomer('/admin as staff')
    await newcomer.goto(url('/admin/set-password'))
    await newcomer.getByRole('alert').waitFor()
    await checkNewcomer('/admin/set-password without the link\'s code')

    expect(found).toEqual([])
    expect(page.errors).toEqual([])
    expect(newcomer.errors).toEqual([])
  }, 300_000)
})
