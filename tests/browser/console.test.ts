import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { CLI_ACTOR } from '#server/services/audit'
import { createRespondent } from '#server/services/respondent-admin'
import { findSurveyBySlug, upsertSurveys } from '#server/services/surveys'
import { useBrowser, type TestPage } from '../support/browser'
import { createConsoleAccount, firstOwnerSignIn, submitPassword } from '../support/console'
import { schema } from '../support/engine'
import { request, url, useTestServer } from '../support/server'
import { startWebhookReceiver } from '../support/webhook-receiver'

// The admin console in Chromium: an owner made by the CLI signs in with password and TOTP and sets up a
// survey and a respondent whose link works in another browser; a staff account limited to one survey
// cannot see another; a failed webhook is re-sent from the console; a form on another site is refused.
const receiver = await startWebhookReceiver()
afterAll(() => receiver.stop())
// Retries a thousand times faster than in production, so that a delivery whose receiver keeps failing
// runs through the whole retry schedule (and fails) within a few seconds.
const server = await useTestServer({ NUXT_WEBHOOKS_ALLOW_PRIVATE: 'true', NUXT_WEBHOOKS_POLL_MS: '100', NUXT_WEBHOOKS_RETRY_SCALE: '0.00001', NUXT_WEBHOOKS_TIMEOUT_SECONDS: '2' })
const { newPage } = await useBrowser()
const OWNER = { email: 'lead@example.org', name: 'Olive Owner', role: 'owner' as const, password: 'a long owner passphrase' }
const STAFF = { email: 'ra@example.org', name: 'Sam Staff', role: 'staff' as const, surveys: ['alpha'], password: 'a long staff passphrase' }

beforeAll(async () => {
  await upsertSurveys(server.db(), [
    { slug: 'alpha', name: 'Alpha study', supportEmail: 'alpha@example.org', state: 'active' },
    { slug: 'beta', name: 'Beta study', supportEmail: 'beta@example.org', state: 'active' },
  ])
  createConsoleAccount(server.databasePath, OWNER)
  createConsoleAccount(server.databasePath, STAFF)
})

let owner: TestPage

describe('an owner created by the CLI', () => {
  it('signs in with password and TOTP, creates a survey with a JWT secret, adds a respondent whose link lands on the recall in another browser', async () => {
    owner = await newPage({ permissions: ['clipboard-read', 'clipboard-write'] })
    const { secret: totpSecret } = await firstOwnerSignIn(owner, OWNER.email, OWNER.password)
    expect(await owner.getByTestId('console-account').textContent()).toContain('Olive Owner')

    await owner.getByTestId('new-survey').click()
    await owner.locator('#survey-slug').fill('cohort')
    await owner.locator('#survey-name').fill('Cohort recall')
    await owner.locator('#survey-supportEmail').fill('not an address')
    await owner.locator('#survey-state').selectOption('active')
    await owner.locator('#survey-allowGenUsers').check()
    await owner.getByTestId('save-survey').click()
    // The API's message for the field, under it; the field is marked and takes the focus.
    await owner.getByTestId('error-survey-supportEmail').waitFor()
    expect(await owner.locator('#survey-supportEmail').getAttribute('aria-invalid')).toBe('true')
    expect(owner.url()).toMatch(/\/admin\/surveys\/new$/)

    await owner.locator('#survey-supportEmail').fill('cohort-team@example.org')
    await owner.getByTestId('save-survey').click()
    await owner.waitForURL(/\/admin\/surveys\/cohort\?created=1$/)
    expect(await owner.getByTestId('jwt-secret-state').textContent()).toBe('not set')
    await owner.getByTestId('generate-jwt-secret').click()
    const secret = (await owner.getByTestId('new-jwt-secret').textContent())!.trim()
    expect(secret).toMatch(/^[\w-]{43}$/)
    await expect.poll(() => owner.getByTestId('jwt-secret-state').textContent()).toBe('set')

    await owner.getByTestId('open-respondents').click()
    await owner.getByTestId('empty-respondents').waitFor()
    await owner.locator('#new-username').fill('cohort-0042')
    await owner.getByTestId('add-respondent').click()
    const shown = (await owner.getByTestId('link-create-user').textContent())!.trim()
    // Copied as shown: the copy button puts the link on the clipboard.
    await owner.getByRole('button', { name: 'Copy Create-user link (a partner\'s link, to the recall)' }).click()
    type Clipboard = { navigator: { clipboard: { readText: () => Promise<string> } } }
    const link = await owner.evaluate(() => (globalThis as unknown as Clipboard).navigator.clipboard.readText())
    expect(link).toBe(shown)
    expect(link).toContain('/cohort/create-user/')
    expect(link).toMatch(/\?redirect=recall$/)
    const recallLink = (await owner.getByTestId('link-recall').textContent())!.trim()
    await expect.poll(() => owner.locator('[data-username="cohort-0042"]').count()).toBe(1)

    // No admin credential is kept in the browser's storage (the CSRF token lives in the page's memory);
    // only the router's scroll positions are.
    const stored = await owner.evaluate(() => {
      const { localStorage, sessionStorage } = globalThis as unknown as Record<'localStorage' | 'sessionStorage', Record<string, string>>
      return [...Object.entries(localStorage), ...Object.entries(sessionStorage)]
    })
    expect(stored.map(([key]) => key).filter(key => key !== 'vue-router:scroll')).toEqual([])
    const { csrfToken } = await owner.evaluate(async () => (await fetch('/api/admin/session')).json())
    for (const credential of [csrfToken, secret, totpSecret, OWNER.password]) expect(JSON.stringify(stored)).not.toContain(credential)

    for (const address of [link, recallLink]) {
      const respondent = await newPage()
      await respondent.goto(address)
      await respondent.waitForURL(/\/cohort\/recall$/)
      await expect.poll(() => respondent.getByTestId('signed-in-as').textContent()).toContain('cohort-0042')
      expect(respondent.errors).toEqual([])
      await respondent.context().close()
    }
    expect(owner.errors).toEqual([])
  })

  it('disables a respondent after confirming in a dialog, and can cancel instead', async () => {
    const row = owner.locator('[data-username="cohort-0042"]')
    await row.getByTestId('toggle-disabled').click()
    const dialog = owner.getByRole('dialog')
    await dialog.waitFor()
    expect(await dialog.getAttribute('aria-labelledby')).toBe('confirm-title')
    await owner.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    expect(await row.locator('.badge').textContent()).toBe('enabled')

    await row.getByTestId('toggle-disabled').click()
    await owner.getByTestId('confirm').click()
    await expect.poll(() => row.locator('.badge').textContent()).toBe('disabled')
  })

  it('previews the completion URL of the redirect scheme, and sends a test event to the notification targets', async () => {
    await owner.getByRole('link', { name: 'Cohort recall' }).click()
    await owner.getByTestId('survey-form').waitFor()
    await owner.getByTestId('send-test-event').click()
    // No target yet: the API's message says so.
    await expect.poll(() => owner.getByTestId('test-event-result').textContent()).toMatch(/No test event was sent/)

    await owner.getByTestId('redirect-url').fill('https://partner.example.org/done?who={identifier}')
    await owner.locator('#survey-redirect-identifier').fill('username')
    await owner.getByTestId('add-notification').click()
    await owner.locator('#survey-notification-0-url').fill(`${receiver.origin}/cohort-hooks`)
    await owner.getByTestId('save-survey').click()
    // Notifications without a webhook secret: one is made, and shown once.
    await owner.getByTestId('new-webhook-secret').waitFor()
    await owner.locator('#preview-username').fill('cohort-0042')
    await owner.getByTestId('preview-completion').click()
    await expect.poll(() => owner.getByTestId('completion-url').textContent()).toContain('https://partner.example.org/done?who=cohort-0042')

    await owner.getByTestId('send-test-event').click()
    await expect.poll(() => owner.getByTestId('test-event-result').textContent()).toMatch(/on its way to 1 target/)
    await expect.poll(() => receiver.received.filter(request => request.path === '/cohort-hooks').map(request => request.json?.type)).toContain('webhook.test')
    expect(owner.errors).toEqual([])
  })

  it('exports the links of every respondent as CSV, counting the rows against the respondents', async () => {
    const db = server.db()
    const survey = (await findSurveyBySlug(db, 'cohort'))!
    for (let index = 0; index < 120; index++) await createRespondent(db, survey, { username: `bulk-${index}` }, CLI_ACTOR)
    await owner.goto(url('/admin/surveys/cohort/respondents'))
    await expect.poll(() => owner.getByTestId('respondent-count').textContent()).toMatch(/^121 respondents/)
    const [download] = await Promise.all([owner.waitForEvent('download'), owner.getByTestId('export-csv').click()])
    expect(download.suggestedFilename()).toBe('cohort-auth-links.csv')
    const lines = (await readFile((await download.path())!, 'utf8')).trim().split('\r\n')
    expect(lines[0]).toBe('userId,username,authToken,shortLink,surveyLink,feedbackLink')
    expect(lines).toHaveLength(122)
    await expect.poll(() => owner.getByTestId('export-status').textContent()).toMatch(/^Done: 121 rows/)
    expect(await owner.getByTestId('export-progress').getAttribute('value')).toBe('121')
    expect(await owner.getByTestId('export-progress').getAttribute('max')).toBe('121')
  })
})

describe('access tokens', () => {
  it('an owner creates one limited to a survey (shown once), sees its last use, and revokes it after confirming', async () => {
    await owner.getByRole('link', { name: 'Access tokens' }).click()
    await owner.getByTestId('empty-tokens').waitFor()
    await owner.locator('#token-name').fill('alpha-portal')
    await owner.locator('#token-scope-respondents\\:read').check()
    await owner.getByTestId('token-surveys-some').check()
    await owner.locator('#token-surveys-alpha').check()
    await owner.getByTestId('create-token').click()
    const token = (await owner.getByTestId('new-token').textContent())!.trim()
    expect(token).toMatch(/^rgpat_\d+_[\w-]+$/)
    const row = owner.locator('[data-token="alpha-portal"]')
    expect(await row.getByTestId('token-last-used').textContent()).toMatch(/never/)

    const bearer = { authorization: `Bearer ${token}` }
    expect((await request('/api/admin/surveys/alpha/respondents', { headers: bearer })).status).toBe(200)
    expect((await request('/api/admin/surveys/beta/respondents', { headers: bearer })).status).toBe(404)
    await owner.reload()
    await expect.poll(() => row.getByTestId('token-last-used').textContent()).not.toMatch(/never/)
    // Shown once: not after a reload.
    expect(await owner.getByTestId('new-token').count()).toBe(0)

    await row.getByTestId('revoke-token').click()
    await owner.getByTestId('confirm').click()
    await expect.poll(() => row.textContent()).toMatch(/revoked/)
    expect((await request('/api/admin/surveys/alpha/respondents', { headers: bearer })).status).toBe(401)
    expect(owner.errors).toEqual([])
  })
})

describe('a staff account limited to one survey', () => {
  it('sees only that survey: another one is not found in the console and in the API', async () => {
    const staff = await newPage()
    await staff.goto(url('/admin/surveys/beta'))
    await staff.waitForURL(/\/admin\/login\?next=/)
    await submitPassword(staff, STAFF.email, STAFF.password)
    // Back where it was going: the other survey does not exist for it.
    await staff.waitForURL(/\/admin\/surveys\/beta$/)
    await staff.getByTestId('survey-not-found').waitFor()

    await staff.goto(url('/admin'))
    const list = staff.getByTestId('survey-list')
    await list.waitFor()
    expect(await list.locator('tbody tr').count()).toBe(1)
    expect(await list.textContent()).toContain('Alpha study')
    expect(await list.textContent()).not.toContain('Beta study')
    // Owners' pages are not in its navigation, and not open to it.
    expect(await staff.locator('nav[aria-label="Console"]').textContent()).not.toContain('Accounts')
    expect(await staff.locator('nav[aria-label="Console"]').textContent()).not.toContain('Access tokens')
    await staff.goto(url('/admin/surveys/beta/respondents'))
    await staff.getByTestId('survey-not-found').waitFor()

    const statuses = await staff.evaluate(async () => Promise.all(['/api/admin/surveys/beta', '/api/admin/surveys/beta/respondents', '/api/admin/surveys/alpha']
      .map(async path => (await fetch(path, { credentials: 'same-origin' })).status)))
    expect(statuses).toEqual([404, 404, 200])
    expect(staff.errors).toEqual([])
  })

  it('"sign out everywhere" (confirmed) ends its other sign-ins: their next call is answered 401 and they go to the sign-in page', async () => {
    const [first, second] = [await newPage(), await newPage()]
    for (const page of [first, second]) {
      await page.goto(url('/admin/login'))
      await submitPassword(page, STAFF.email, STAFF.password)
      await page.getByTestId('survey-list').waitFor()
    }
    await first.getByTestId('sign-out-everywhere').click()
    await first.getByTestId('confirm').click()
    await first.waitForURL(/\/admin\/login$/)
    await second.getByRole('link', { name: 'Deliveries' }).click()
    await second.waitForURL(address => new URL(address).pathname === '/admin/login' && new URL(address).searchParams.get('next') === '/admin/deliveries')
    await second.locator('#login-email').waitFor()
    expect([...first.errors, ...second.errors]).toEqual([])
  })
})

describe('deliveries', () => {
  it('a delivery that failed (the receiver answered 500 every time) is sent again from the console and reaches the receiver', async () => {
    await upsertSurveys(server.db(), [{ slug: 'relay', name: 'Relay study', supportEmail: 'relay@example.org', state: 'active', notifications: [{ type: 'survey.respondent.created', url: `${receiver.origin}/relay` }] }], { allowPrivateWebhooks: true })
    receiver.always('/relay', { status: 500, body: 'receiver is broken' })
    await owner.goto(url('/admin/surveys/relay/respondents'))
    await owner.locator('#new-username').fill('relay-1')
    await owner.getByTestId('add-respondent').click()
    await owner.getByTestId('respondent-links').waitFor()

    const { webhookDeliveries } = schema
    const failedRow = async () => (await server.db().select().from(webhookDeliveries).where(eq(webhookDeliveries.url, `${receiver.origin}/relay`)))[0]
    await expect.poll(async () => (await failedRow())?.status, { timeout: 30_000 }).toBe('failed')
    const failedAttempts = receiver.received.filter(request => request.path === '/relay').length
    expect(failedAttempts).toBeGreaterThan(1)
    receiver.clear('/relay')

    await owner.getByRole('link', { name: 'Deliveries' }).click()
    await owner.locator('#filter-survey').selectOption('relay')
    await owner.locator('#filter-status').selectOption('failed')
    await owner.locator('#filter-event').selectOption('survey.respondent.created')
    await owner.getByTestId('apply-filter').click()
    await owner.waitForURL(/status=failed/)
    const delivery = owner.locator('[data-status="failed"]')
    await expect.poll(() => delivery.count()).toBe(1)
    expect(await delivery.getByTestId('attempt-status').allTextContents()).toContain('500')
    await delivery.getByTestId('resend').click()

    await expect.poll(() => receiver.received.filter(request => request.path === '/relay').length).toBe(failedAttempts + 1)
    await expect.poll(async () => (await failedRow())?.status).toBe('delivered')
    const arrived = receiver.received.filter(request => request.path === '/relay').at(-1)!
    expect(arrived.json).toMatchObject({ type: 'survey.respondent.created' })
    expect(owner.errors).toEqual([])
  })
})

describe('a form on another site', () => {
  it('cannot post to a console endpoint: refused with 403', async () => {
    const app = new URL(url('/'))
    // Another site: the app is on 127.0.0.1, this page on localhost (or the other way round).
    const otherHost = app.hostname === '127.0.0.1' ? 'localhost' : '127.0.0.1'
    const site = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      response.end(`<!doctype html><title>Elsewhere</title>
        <form method="post" action="${app.origin}/api/admin/session" enctype="text/plain">
          <input name='{"email":"${OWNER.email}","password":"${OWNER.password}","x":"' value='"}'>
          <button>Go</button>
        </form>
        <form id="create" method="post" action="${app.origin}/api/admin/surveys" enctype="text/plain">
          <input name='{"slug":"evil","name":"Evil","supportEmail":"evil@example.org","x":"' value='"}'>
          <button>Create</button>
        </form>`)
    })
    await new Promise<void>(resolve => site.listen(0, otherHost, resolve))
    try {
      const elsewhere = `http://${otherHost}:${(site.address() as AddressInfo).port}/`
      const page = await owner.context().newPage()
      await page.goto(elsewhere)
      const [signIn] = await Promise.all([page.waitForResponse(`${app.origin}/api/admin/session`), page.locator('form').first().locator('button').click()])
      expect(signIn.status()).toBe(403)
      expect(await signIn.headerValue('set-cookie')).toBeNull()

      await page.goto(elsewhere)
      const [create] = await Promise.all([page.waitForResponse(`${app.origin}/api/admin/surveys`), page.locator('#create button').click()])
      // The SameSite=Strict cookie stays home: without it the console's endpoint has no sign-in to act for.
      expect([401, 403]).toContain(create.status())
      const { surveys } = schema
      expect(await server.db().select().from(surveys).where(eq(surveys.slug, 'evil'))).toEqual([])
      await page.close()
    }
    finally {
      site.closeAllConnections()
      await new Promise(resolve => site.close(resolve))
    }
  })
})
