import { beforeAll, describe, expect, it } from 'vitest'
import { upsertSurveys } from '#server/services/surveys'
import { axeViolations } from '../support/axe'
import { useBrowser } from '../support/browser'
import { nowSeconds, signPartnerToken } from '../support/jwt'
import { url, useTestServer } from '../support/server'

// Every respondent page through axe-core's WCAG 2.1 A and AA rules, in English and in Arabic (right to left).
const server = await useTestServer()
const { newPage } = await useBrowser()
const SECRET = 'accessibility-browser-secret-0123456789-ab'

beforeAll(() => {
  const partner = { allowGenUsers: true, genUserKey: SECRET, authModes: ['token' as const], feedbackEnabled: true, minimumSubmissionInterval: 0 }
  upsertSurveys(server.db(), [
    { slug: 'open', name: 'Open study', supportEmail: 'open@example.org', state: 'active', allowGenUsers: true, authModes: ['username', 'token'] },
    { slug: 'diet', name: 'Diet study', supportEmail: 'diet@example.org', state: 'active', ...partner },
    { slug: 'closed', name: 'Closed study', supportEmail: 'closed@example.org', state: 'suspended', suspensionReason: 'Data collection has paused', ...partner },
  ])
})

type Page = Awaited<ReturnType<typeof newPage>>
const link = async (slug: string, payload: Record<string, unknown>, secret = SECRET) =>
  url(`/${slug}/create-user/${await signPartnerToken(secret, payload)}?redirect=recall`)

/** Visits every respondent page in `language` (the language cookie), collecting what axe finds on each. */
async function auditEveryPage(language: string): Promise<{ violations: string[], page: Page }> {
  const page = await newPage()
  await page.context().addCookies([{ name: 'rg_locale', value: language, url: url('/') }])
  const violations: string[] = []
  const audit = async (where: string) => {
    await expect.poll(() => page.locator('html').getAttribute('lang'), { message: where }).toBe(language)
    violations.push(...await axeViolations(page, `${where} [${language}]`))
  }

  await page.goto(url('/'), { waitUntil: 'networkidle' })
  await page.locator('.survey-list').waitFor()
  await audit('/')

  await page.goto(url('/open'), { waitUntil: 'networkidle' })
  await page.locator('#login-username').waitFor()
  await audit('/{slug} with self-registration and sign-in')
  await page.locator('form button[type="submit"]').click()
  await page.locator('#login-username[aria-invalid="true"]').waitFor()
  await audit('/{slug} after a failed sign-in')
  await page.getByTestId('create-account').click()
  await page.getByTestId('generated-credentials').waitFor()
  await audit('/{slug} with the new account\'s credentials')
  await page.getByTestId('continue').click()
  await page.waitForURL(/\/open\/home$/)
  await page.getByTestId('start-recall').waitFor()
  await audit('/{slug}/home')

  for (const [kind, target] of [
    ['expired', await link('diet', { username: 'late', exp: nowSeconds() - 3600 })],
    ['invalid', await link('diet', { username: 'forged' }, 'some-other-secret-that-is-long-enough-xx')],
    ['not-found', await link('nowhere', { username: 'lost' })],
    ['closed', await link('closed', { username: 'too-late' })],
  ] as const) {
    await page.goto(target)
    await page.getByTestId(`link-problem-${kind}`).waitFor()
    await audit(`create-user link: ${kind}`)
  }

  await page.goto(await link('diet', { username: `axe-${language}` }))
  await page.waitForURL(/\/diet\/recall$/)
  await page.getByTestId('meal-0').waitFor()
  await page.getByTestId('to-review').click()
  await page.getByTestId('meal-0-problem').waitFor()
  await audit('/{slug}/recall, reviewed too early')
  await page.getByTestId('meal-0-time').fill('07:45')
  await page.getByTestId('meal-0-add-food').click()
  await page.getByTestId('meal-0-food-0-description').fill('Porridge')
  await page.getByTestId('meal-0-food-0-amount').fill('1')
  await page.getByTestId('meal-0-food-0-unit').fill('bowl')
  await page.getByTestId('meal-0-add-food').click()
  await page.getByTestId('meal-0-food-1-description').fill('Orange juice')
  await page.locator('[data-testid="meal-0"] input[type="checkbox"]').nth(2).check()
  await page.getByTestId('meal-1-skipped').check()
  const meals = await page.locator('fieldset.meal').count()
  for (let index = 2; index < meals; index++) await page.getByTestId(`meal-${index}-skipped`).check()
  await expect.poll(() => page.getByTestId('save-status').getAttribute('class'), { timeout: 10_000 }).toContain('saved')
  await audit('/{slug}/recall with foods filled in')
  await page.getByTestId('to-review').click()
  await page.getByTestId('review').waitFor()
  await audit('/{slug}/recall, review')
  await page.getByTestId('submit-recall').click()
  await page.getByTestId('recall-complete').waitFor()
  await audit('/{slug}/recall, completed')
  await page.goto(url('/diet/feedback'))
  await page.getByTestId('feedback-submission').waitFor()
  await audit('/{slug}/feedback')
  return { violations, page }
}

describe('accessibility (axe-core, WCAG 2.1 A and AA)', () => {
  for (const language of ['en-GB', 'ar']) {
    it(`no violation on any respondent page in ${language}`, async () => {
      const { violations, page } = await auditEveryPage(language)
      expect(violations).toEqual([])
      expect(page.errors).toEqual([])
    })
  }
})
