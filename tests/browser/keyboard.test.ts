import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { upsertSurveys } from '#server/services/surveys'
import { useBrowser } from '../support/browser'
import { nowSeconds, signPartnerToken } from '../support/jwt'
import { startPartnerSite } from '../support/partner-site'
import { url, useTestServer } from '../support/server'

// A whole recall with the keyboard only: Tab, Shift+Tab, Enter, Space and typing; no mouse, no element.click().
const server = await useTestServer()
const { newPage } = await useBrowser()
const partner = await startPartnerSite()
afterAll(() => partner.close())
const SECRET = 'keyboard-browser-secret-0123456789-abcdefgh'

beforeAll(() => {
  upsertSurveys(server.db(), [{
    slug: 'keys',
    name: 'Keyboard study',
    supportEmail: 'keys@example.org',
    state: 'active',
    allowGenUsers: true,
    genUserKey: SECRET,
    authModes: ['token'],
    minimumSubmissionInterval: 0,
    allowedRedirectOrigins: [partner.origin],
    scheme: { redirect: { url: `${partner.origin}/done?pid={identifier}`, identifier: 'username', timer: 0, target: '_self' } },
  }])
})

type Page = Awaited<ReturnType<typeof newPage>>
interface Focus { name: string, control: boolean, outline: string }

/** The focused element (document.activeElement): its tag and test id (or id), e.g. "INPUT meal-0-skipped", and its outline. */
const focus = (page: Page) => page.evaluate((): Focus => {
  const { document, getComputedStyle } = globalThis as unknown as {
    document: { activeElement: { tagName: string, id: string, getAttribute: (name: string) => string | null } | null }
    getComputedStyle: (element: unknown) => { outlineStyle: string, outlineWidth: string }
  }
  const element = document.activeElement
  if (!element) return { name: 'nothing', control: false, outline: '' }
  const style = getComputedStyle(element)
  return {
    name: `${element.tagName} ${element.getAttribute('data-testid') ?? element.id}`,
    control: /^(?:A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(element.tagName),
    outline: `${style.outlineStyle} ${style.outlineWidth}`,
  }
})
const focused = async (page: Page) => (await focus(page)).name

/**
 * Presses `key` (Tab or Shift+Tab) until the element matching `selector` has the focus, at most `limit`
 * times; every control passed on the way shows where the focus is (an outline).
 */
async function moveTo(page: Page, selector: string, key: 'Tab' | 'Shift+Tab' = 'Tab', limit = 40) {
  const target = page.locator(selector)
  for (let presses = 0; presses < limit; presses++) {
    await page.keyboard.press(key)
    const now = await focus(page)
    if (now.control) expect(now.outline, `focus outline of ${now.name}`).not.toMatch(/^none|^\S+ 0px/)
    if (await target.evaluate(element => element === element.ownerDocument.activeElement)) return
  }
  throw new Error(`${selector} not reached with ${limit} × ${key}; the focus is on ${await focused(page)}`)
}

describe('the recall with the keyboard only', () => {
  it('goes from a partner link through the meals, the review and the submission back to the partner', async () => {
    const page = await newPage()
    await page.goto(url(`/keys/create-user/${await signPartnerToken(SECRET, { username: 'K-1', exp: nowSeconds() + 600 })}?redirect=recall`))
    await page.waitForURL(/\/keys\/recall$/)
    await expect.poll(() => focused(page)).toBe('H1 recall-heading')

    // Breakfast: two foods, the second a drink; a slip in the amount put right with Shift+Tab.
    await moveTo(page, '[data-testid="meal-0-add-food"]')
    await page.keyboard.press('Enter')
    await expect.poll(() => focused(page)).toBe('INPUT meal-0-food-0-description')
    await page.keyboard.type('Porridge with milk')
    await page.keyboard.press('Tab')
    await page.keyboard.type('2')
    await page.keyboard.press('Tab')
    await page.keyboard.type('bowl')
    await moveTo(page, '[data-testid="meal-0-food-0-amount"]', 'Shift+Tab', 2)
    await page.keyboard.press('Control+A')
    await page.keyboard.type('1')
    await moveTo(page, '[data-testid="meal-0-add-food"]')
    await page.keyboard.press('Space')
    await expect.poll(() => focused(page)).toBe('INPUT meal-0-food-1-description')
    await page.keyboard.type('Tea')
    await moveTo(page, '[data-testid="meal-0"] li:nth-child(2) input[type="checkbox"]')
    await page.keyboard.press('Space')
    expect(await page.locator('[data-testid="meal-0"] li:nth-child(2) input[type="checkbox"]').isChecked()).toBe(true)

    // Every other meal: "I did not have …".
    const meals = await page.locator('fieldset.meal').count()
    for (let index = 1; index < meals; index++) {
      await moveTo(page, `[data-testid="meal-${index}-skipped"]`)
      await page.keyboard.press('Space')
      expect(await page.getByTestId(`meal-${index}-skipped`).isChecked()).toBe(true)
    }
    await expect.poll(() => page.getByTestId('save-status').textContent(), { timeout: 10_000 }).toBe('All changes saved')

    await moveTo(page, '[data-testid="to-review"]')
    await page.keyboard.press('Enter')
    await expect.poll(() => focused(page)).toBe('H2 review-heading')
    const review = await page.getByTestId('review').textContent()
    expect(review).toContain('Porridge with milk, 1 bowl')
    expect(review).toContain('Tea')

    await moveTo(page, '[data-testid="submit-recall"]')
    await page.keyboard.press('Enter')
    await expect.poll(() => focused(page)).toBe('H1 complete-heading')
    await moveTo(page, '[data-testid="follow-up-link"]')
    await page.keyboard.press('Enter')
    await page.waitForURL(address => address.origin === partner.origin, { timeout: 10_000 })
    expect(partner.visits).toContain('/done?pid=K-1')
    expect(page.errors).toEqual([])
  })
})
