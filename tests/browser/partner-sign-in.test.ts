import { beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { users } from '#server/database/schema'
import { createOrUpdateFromPartner } from '#server/services/respondents'
import { findSurveyBySlug, upsertSurveys } from '#server/services/surveys'
import { useBrowser } from '../support/browser'
import { nowSeconds, signPartnerToken } from '../support/jwt'
import { url, useTestServer } from '../support/server'

const server = await useTestServer()
const { newPage } = await useBrowser()
const SECRET = 'cohort-secret-with-enough-length-0123456789'
const base = { supportEmail: 'cohort-help@example.org', allowGenUsers: true, genUserKey: SECRET, authModes: ['token' as const], feedbackEnabled: true, minimumSubmissionInterval: 0 }

beforeAll(async () => {
  await upsertSurveys(server.db(), [
    { ...base, slug: 'cohort', name: 'Cohort recall', state: 'active' },
    { ...base, slug: 'closed', name: 'Closed study', state: 'suspended', suspensionReason: 'Data collection has paused' },
  ])
})

const link = (slug: string, token: string, redirect?: string) => url(`/${slug}/create-user/${token}${redirect ? `?redirect=${redirect}` : ''}`)

describe('partner create-user link in a browser', () => {
  it('lands on the recall signed in, with no JWT in the address, history or Referer, and survives a reload', async () => {
    const page = await newPage()
    const jwt = await signPartnerToken(SECRET, { username: 'cohort-0042', sub: 'cohort', exp: nowSeconds() + 600 })
    const referers: string[] = []
    page.on('request', request => referers.push(request.headers().referer ?? ''))

    await page.goto(link('cohort', jwt, 'recall'))
    await page.waitForURL(/\/cohort\/recall$/)
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toContain('cohort-0042')
    expect(page.url()).not.toContain(jwt)
    expect(referers.filter(referer => referer.includes(jwt))).toEqual([])

    await page.reload()
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toContain('cohort-0042')
    expect(page.url()).toMatch(/\/cohort\/recall$/)

    await page.goBack().catch(() => undefined)
    expect(page.url()).not.toContain(jwt)
    expect(page.errors).toEqual([])
  })

  it('goes to home by default and to feedback when asked', async () => {
    const page = await newPage()
    await page.goto(link('cohort', await signPartnerToken(SECRET, { username: 'cohort-0043' })))
    await page.waitForURL(/\/cohort\/home$/)
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toContain('cohort-0043')
    await page.goto(link('cohort', await signPartnerToken(SECRET, { username: 'cohort-0043' }), 'feedback'))
    await page.waitForURL(/\/cohort\/feedback$/)
    await expect.poll(() => page.getByTestId('feedback-heading').isVisible()).toBe(true)
  })

  it('shows the expired-link page with the support e-mail for an expired token', async () => {
    const page = await newPage()
    const jwt = await signPartnerToken(SECRET, { username: 'late', exp: nowSeconds() - 3600 })
    await page.goto(link('cohort', jwt, 'recall'))
    const problem = page.getByTestId('link-problem-expired')
    await problem.waitFor()
    expect(await problem.textContent()).toContain('This link has expired')
    expect(await problem.textContent()).toContain('cohort-help@example.org')
    expect(page.url()).not.toContain(jwt)
  })

  it('shows clear pages for an invalid link, an unknown survey and a closed survey', async () => {
    const page = await newPage()
    await page.goto(link('cohort', await signPartnerToken('some-other-secret-that-is-long-enough-xx', { username: 'x' })))
    await page.getByTestId('link-problem-invalid').waitFor()

    await page.goto(link('nowhere', await signPartnerToken(SECRET, { username: 'x' })))
    await page.getByTestId('link-problem-not-found').waitFor()

    await page.goto(link('closed', await signPartnerToken(SECRET, { username: 'x' })))
    const closed = page.getByTestId('link-problem-closed')
    await closed.waitFor()
    expect(await closed.textContent()).toContain('Data collection has paused')

    const db = server.db()
    const paused = await createOrUpdateFromPartner(db, (await findSurveyBySlug(db, 'cohort'))!, { username: 'paused-account' })
    db.update(users).set({ disabled: true }).where(eq(users.id, Number(paused.userId))).run()
    await page.goto(link('cohort', await signPartnerToken(SECRET, { username: 'paused-account' })))
    await page.getByTestId('link-problem-disabled').waitFor()
  })

  it('signs in through /a/{authToken} and ?auth= and drops the token from the address', async () => {
    const db = server.db()
    const { authToken } = await createOrUpdateFromPartner(db, (await findSurveyBySlug(db, 'cohort'))!, { username: 'linked' })
    const page = await newPage()
    await page.goto(url(`/a/${authToken}`))
    await page.waitForURL(/\/cohort\/home$/)
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toContain('linked')

    const other = await newPage()
    await other.goto(url(`/cohort/feedback?auth=${authToken}`))
    await other.waitForURL(/\/cohort\/feedback$/)
    await expect.poll(() => other.getByTestId('signed-in-as').textContent()).toContain('linked')
    expect(other.url()).not.toContain(authToken)

    const third = await newPage()
    await third.goto(url(`/cohort?auth=${authToken}`))
    await third.waitForURL(/\/cohort\/home$/)
    expect(third.errors).toEqual([])
  })

  it('keeps the session when a second tab refreshes while the first tab\'s refresh is still under way', async () => {
    const first = await newPage()
    await first.goto(link('cohort', await signPartnerToken(SECRET, { username: 'two-tabs' })))
    await first.waitForURL(/\/cohort\/home$/)
    const second = await first.context().newPage()
    // The first tab's refresh reaches the server at once, but its answer (with the rotated cookie) comes
    // back late: a second tab refreshing meanwhile would present the old cookie, which the server treats
    // as a stolen token, unless the tabs take turns.
    let delayed = false
    await first.route('**/api/auth/refresh', async (route) => {
      const response = await route.fetch()
      delayed = true
      await new Promise(resolve => setTimeout(resolve, 1500))
      await route.fulfill({ response })
    })
    const firstReload = first.reload()
    // Waits for the precondition only (the first tab's refresh has been answered and is being held back): a
    // page reload on a busy machine can take longer than expect.poll's default second.
    await expect.poll(() => delayed, { timeout: 15_000 }).toBe(true)
    await second.goto(url('/cohort/feedback'))
    await firstReload
    await expect.poll(() => first.getByTestId('signed-in-as').textContent()).toContain('two-tabs')
    await expect.poll(() => second.getByTestId('signed-in-as').textContent()).toContain('two-tabs')
    await second.reload()
    await expect.poll(() => second.getByTestId('signed-in-as').textContent()).toContain('two-tabs')
  })

  it('sends a visitor without a session from a survey page to the survey\'s sign-in page', async () => {
    const page = await newPage()
    await page.goto(url('/cohort/recall'))
    await page.waitForURL(/\/cohort$/)
    await page.getByTestId('link-only').waitFor()
  })
})
