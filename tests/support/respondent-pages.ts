import type { Page } from 'playwright-core'
import { expect } from 'vitest'
import { upsertSurveys } from '#server/services/surveys'
import type { Db } from '#server/database'
import { nowSeconds, signPartnerToken } from './jwt'
import { url } from './server'

const SECRET = 'respondent-pages-secret-0123456789-abcdefg'

/** The surveys visitRespondentPages goes through: open access, a partner's, a closed one. */
export function seedRespondentPageSurveys(db: Db) {
  const partner = { allowGenUsers: true, genUserKey: SECRET, authModes: ['token' as const], feedbackEnabled: true, minimumSubmissionInterval: 0 }
  upsertSurveys(db, [
    { slug: 'open', name: 'Open study', supportEmail: 'open@example.org', state: 'active', allowGenUsers: true, authModes: ['username', 'token'] },
    { slug: 'diet', name: 'Diet study', supportEmail: 'diet@example.org', state: 'active', ...partner },
    { slug: 'closed', name: 'Closed study', supportEmail: 'closed@example.org', state: 'suspended', suspensionReason: 'Data collection has paused', ...partner },
  ])
}

const link = async (slug: string, payload: Record<string, unknown>, secret = SECRET) =>
  url(`/${slug}/create-user/${await signPartnerToken(secret, payload)}?redirect=recall`)

/**
 * Goes through every respondent page, in `language` (the language cookie), and calls `check` on each once
 * it is shown: `/`, a survey's page with self-registration and sign-in (as it is, after a failed sign-in,
 * with new credentials), its home, a closed survey's page, the error page of a survey that does not exist,
 * the create-user and sign-in links' error pages, the recall (reviewed too early, with foods), its review and
 * completion, and feedback. `respondent` names the partner's respondent.
 */
export async function visitRespondentPages(page: Page, language: string, respondent: string, check: (where: string) => Promise<void>) {
  await page.context().addCookies([{ name: 'rg_locale', value: language, url: url('/') }])
  const shown = async (where: string) => {
    await expect.poll(() => page.locator('html').getAttribute('lang'), { message: where }).toBe(language)
    await check(where)
  }

  await page.goto(url('/'), { waitUntil: 'networkidle' })
  await page.locator('.survey-list').waitFor()
  await shown('/')

  await page.goto(url('/open'), { waitUntil: 'networkidle' })
  await page.locator('#login-username').waitFor()
  await shown('/{slug} with self-registration and sign-in')
  await page.locator('form button[type="submit"]').click()
  await page.locator('#login-username[aria-invalid="true"]').waitFor()
  await shown('/{slug} after a failed sign-in')
  await page.getByTestId('create-account').click()
  await page.getByTestId('generated-credentials').waitFor()
  await shown('/{slug} with the new account\'s credentials')
  await page.getByTestId('continue').click()
  await page.waitForURL(/\/open\/home$/)
  await page.getByTestId('start-recall').waitFor()
  await shown('/{slug}/home')

  await page.goto(url('/closed'), { waitUntil: 'networkidle' })
  await page.getByTestId('survey-unavailable').waitFor()
  await shown('/{slug} of a closed survey, links only')
  await page.goto(url('/nowhere'), { waitUntil: 'networkidle' })
  await page.locator('h1').waitFor()
  await shown('a survey that does not exist (the error page)')
  await page.goto(url('/diet/create-user'), { waitUntil: 'networkidle' })
  await page.getByTestId('link-problem-used').waitFor()
  await shown('/{slug}/create-user, a link already used')
  await page.goto(url('/a/not-a-sign-in-token'))
  await page.getByTestId('link-problem-invalid').waitFor()
  await shown('/a/{token}, a sign-in link that is not valid')

  for (const [kind, target] of [
    ['expired', await link('diet', { username: 'late', exp: nowSeconds() - 3600 })],
    ['invalid', await link('diet', { username: 'forged' }, 'some-other-secret-that-is-long-enough-xx')],
    ['not-found', await link('nowhere', { username: 'lost' })],
    ['closed', await link('closed', { username: 'too-late' })],
  ] as const) {
    await page.goto(target)
    await page.getByTestId(`link-problem-${kind}`).waitFor()
    await shown(`create-user link: ${kind}`)
  }

  await page.goto(await link('diet', { username: respondent }))
  await page.waitForURL(/\/diet\/recall$/)
  await page.getByTestId('meal-0').waitFor()
  await page.getByTestId('to-review').click()
  await page.getByTestId('meal-0-problem').waitFor()
  await shown('/{slug}/recall, reviewed too early')
  await page.getByTestId('meal-0-time').fill('07:45')
  await page.getByTestId('meal-0-add-food').click()
  await page.getByTestId('meal-0-food-0-description').fill('Porridge with semi-skimmed milk and a spoonful of honey')
  await page.getByTestId('meal-0-food-0-amount').fill('1')
  await page.getByTestId('meal-0-food-0-unit').fill('bowl')
  await page.getByTestId('meal-0-add-food').click()
  await page.getByTestId('meal-0-food-1-description').fill('Orange juice')
  await page.locator('[data-testid="meal-0"] input[type="checkbox"]').nth(2).check()
  const meals = await page.locator('fieldset.meal').count()
  for (let index = 1; index < meals; index++) await page.getByTestId(`meal-${index}-skipped`).check()
  await expect.poll(() => page.getByTestId('save-status').getAttribute('class'), { timeout: 10_000 }).toContain('saved')
  await shown('/{slug}/recall with foods filled in')
  await page.getByTestId('to-review').click()
  await page.getByTestId('review').waitFor()
  await shown('/{slug}/recall, review')
  await page.getByTestId('submit-recall').click()
  await page.getByTestId('recall-complete').waitFor()
  await shown('/{slug}/recall, completed')
  await page.goto(url('/diet/feedback'))
  await page.getByTestId('feedback-submission').waitFor()
  await shown('/{slug}/feedback')
}
