import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { refreshSessions, respondents, users } from '#server/database/schema'
import { upsertSurveys } from '#server/services/surveys'
import { useBrowser } from '../support/browser'
import { nowSeconds, signPartnerToken } from '../support/jwt'
import { startPartnerSite } from '../support/partner-site'
import { url, useTestServer } from '../support/server'

const server = await useTestServer()
const { newPage } = await useBrowser()
const partner = await startPartnerSite()
afterAll(() => partner.close())
const SECRET = 'recall-browser-secret-0123456789-abcdefgh'

beforeAll(async () => {
  await upsertSurveys(server.db(), [{
    slug: 'diet',
    name: 'Diet study',
    supportEmail: 'diet@example.org',
    state: 'active',
    allowGenUsers: true,
    genUserKey: SECRET,
    authModes: ['token'],
    feedbackEnabled: true,
    minimumSubmissionInterval: 0,
    allowedRedirectOrigins: [partner.origin],
    scheme: {
      meals: ['Breakfast', 'Lunch', 'Dinner'],
      redirect: { url: `${partner.origin}/return?pid={identifier}`, identifier: 'username', timer: 2, target: '_self' },
    },
  }])
})

/** What the study team's "disable" does: the respondent's refresh sessions revoked and the access token refused. */
function endSessionOf(username: string) {
  const db = server.db()
  const respondent = db.select().from(respondents).where(eq(respondents.username, username)).get()!
  db.update(refreshSessions).set({ revokedAt: new Date() }).where(eq(refreshSessions.respondentId, respondent.id)).run()
  db.update(users).set({ disabled: true }).where(eq(users.id, respondent.userId)).run()
}

const SIGNED_OUT_NOTICE = 'You have been signed out'

describe('the recall in a browser', () => {
  it('records two meals, survives a reload, submits, returns to the partner with the identifier; feedback shows it', async () => {
    const page = await newPage()
    await page.setViewportSize({ width: 360, height: 740 })
    const jwt = await signPartnerToken(SECRET, { username: 'P-0007 x', exp: nowSeconds() + 600 })
    await page.goto(url(`/diet/create-user/${jwt}?redirect=recall`))
    await page.waitForURL(/\/diet\/recall$/)
    await page.getByTestId('meal-0').waitFor()

    await page.getByTestId('meal-0-time').fill('07:45')
    await page.getByTestId('meal-0-add-food').click()
    await page.getByTestId('meal-0-food-0-description').fill('Porridge with semi-skimmed milk')
    await page.getByTestId('meal-0-food-0-amount').fill('1')
    await page.getByTestId('meal-0-food-0-unit').fill('bowl')
    await page.getByTestId('meal-0-add-food').click()
    await page.getByTestId('meal-0-food-1-description').fill('Orange juice')
    await page.getByLabel('This is a drink').nth(1).check()
    await expect.poll(() => page.getByTestId('save-status').textContent(), { timeout: 10_000 }).toBe('All changes saved')

    await page.reload()
    await page.getByTestId('meal-0').waitFor()
    expect(await page.getByTestId('meal-0-food-0-description').inputValue()).toBe('Porridge with semi-skimmed milk')
    expect(await page.getByTestId('meal-0-food-1-description').inputValue()).toBe('Orange juice')
    expect(await page.getByTestId('meal-0-time').inputValue()).toBe('07:45')

    await page.getByTestId('meal-1-add-food').click()
    await page.getByTestId('meal-1-food-0-description').fill('Cheese sandwich')
    await page.getByTestId('meal-2-skipped').check()
    await page.getByTestId('to-review').click()
    const review = await page.getByTestId('review').textContent()
    expect(review).toContain('Porridge with semi-skimmed milk, 1 bowl')
    expect(review).toContain('Cheese sandwich')
    expect(review).toContain('skipped')

    await page.getByTestId('submit-recall').click()
    await page.getByTestId('recall-complete').waitFor()
    await page.getByTestId('redirect-countdown').waitFor()
    await page.waitForURL(url => url.origin === partner.origin, { timeout: 10_000 })
    expect(partner.visits).toContain('/return?pid=P-0007%20x')

    await page.goto(url('/diet/feedback'))
    await page.getByTestId('feedback-summary').waitFor()
    expect(await page.getByTestId('summary-meals').textContent()).toBe('2')
    expect(await page.getByTestId('summary-foods').textContent()).toBe('2')
    expect(await page.getByTestId('summary-drinks').textContent()).toBe('1')
    const text = await page.getByTestId('feedback-submission').textContent()
    expect(text).toContain('Porridge with semi-skimmed milk, 1 bowl')
    expect(text).toContain('Orange juice')
    expect(text).toContain('Cheese sandwich')
    expect(page.errors).toEqual([])
  })

  it('shows a failed save and retries it until the server has it', async () => {
    const page = await newPage()
    await page.goto(url(`/diet/create-user/${await signPartnerToken(SECRET, { username: 'flaky' })}?redirect=recall`))
    await page.getByTestId('meal-0').waitFor()
    let failing = true
    await page.route('**/api/surveys/diet/session', route => failing && route.request().method() === 'PUT' ? route.abort('internetdisconnected') : route.continue())
    await page.getByTestId('meal-0-add-food').click()
    await page.getByTestId('meal-0-food-0-description').fill('Banana')
    await expect.poll(() => page.getByTestId('save-status').textContent(), { timeout: 10_000 }).toMatch(/Not saved yet|offline/)
    failing = false
    await expect.poll(() => page.getByTestId('save-status').textContent(), { timeout: 15_000 }).toBe('All changes saved')
    await page.reload()
    await page.getByTestId('meal-0-food-0-description').waitFor()
    expect(await page.getByTestId('meal-0-food-0-description').inputValue()).toBe('Banana')
  })

  it('stops saving once the server has ended the session and its renewal is refused, and says so on the sign-in page', async () => {
    const page = await newPage()
    await page.goto(url(`/diet/create-user/${await signPartnerToken(SECRET, { username: 'ended' })}?redirect=recall`))
    await page.getByTestId('meal-0').waitFor()
    await page.getByTestId('meal-0-add-food').click()
    await expect.poll(() => page.getByTestId('save-status').textContent(), { timeout: 10_000 }).toBe('All changes saved')
    const saves: string[] = []
    page.on('request', (request) => {
      if (request.method() === 'PUT' && new URL(request.url()).pathname === '/api/surveys/diet/session') saves.push(request.headers().authorization ?? '')
    })

    endSessionOf('ended')
    await page.getByTestId('meal-0-food-0-description').fill('Toast')
    await page.waitForURL(/\/diet$/, { timeout: 10_000 })
    await expect.poll(() => page.getByTestId('notice').textContent()).toContain(`${SIGNED_OUT_NOTICE}, so your latest changes were not saved`)
    // The first retry of a failed save comes 2 s after it (RETRY_DELAYS_MS): wait past that once.
    await page.waitForTimeout(3_000)
    expect(saves).toHaveLength(1)
    expect(saves.filter(header => !/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(header))).toEqual([])
    expect(page.errors).toEqual([])
  })

  it('takes a respondent whose session has ended from a survey page to the sign-in page with the same notice', async () => {
    const page = await newPage()
    await page.goto(url(`/diet/create-user/${await signPartnerToken(SECRET, { username: 'ended-at-home' })}`))
    await page.waitForURL(/\/diet\/home$/)
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toContain('ended-at-home')

    endSessionOf('ended-at-home')
    await page.getByRole('link', { name: 'See your feedback' }).click()
    await page.waitForURL(/\/diet$/, { timeout: 10_000 })
    await expect.poll(() => page.getByTestId('notice').textContent()).toContain(SIGNED_OUT_NOTICE)
    expect(page.errors).toEqual([])
  })
})
