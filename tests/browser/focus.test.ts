import { beforeAll, describe, expect, it } from 'vitest'
import { upsertSurveys } from '#server/services/surveys'
import { useBrowser } from '../support/browser'
import { signPartnerToken } from '../support/jwt'
import { url, useTestServer } from '../support/server'

// Where focus goes: to the new page's heading after a move in the browser, to the first field at fault
// after a failed submit; and the recall's save status is a live region.
const server = await useTestServer()
const { newPage } = await useBrowser()
const SECRET = 'focus-browser-secret-0123456789-abcdefghij'

beforeAll(() => {
  upsertSurveys(server.db(), [
    { slug: 'open', name: 'Open study', supportEmail: 'open@example.org', state: 'active', allowGenUsers: true, authModes: ['username', 'token'] },
    { slug: 'diet', name: 'Diet study', supportEmail: 'diet@example.org', state: 'active', allowGenUsers: true, genUserKey: SECRET, authModes: ['token'], minimumSubmissionInterval: 0 },
  ])
})

type Page = Awaited<ReturnType<typeof newPage>>
/** What has the focus: its tag, id and text, e.g. "H1 Open study". */
const focused = (page: Page) => page.locator(':focus').evaluate(element => `${element.tagName}${element.id ? `#${element.id}` : ''} ${element.textContent?.trim() ?? ''}`.trim())
const describedBy = async (page: Page, selector: string) => {
  const ids = await page.locator(selector).getAttribute('aria-describedby')
  expect(ids, selector).toBeTruthy()
  return page.locator(ids!.split(' ').map(id => `#${id}`).join(', ')).textContent()
}

describe('focus and announcements', () => {
  it('after a move to another page the new page\'s main heading has the focus, also once a page has loaded its data', async () => {
    const page = await newPage()
    await page.goto(url('/'), { waitUntil: 'networkidle' })
    await page.getByRole('link', { name: 'Open study' }).click()
    await page.waitForURL(/\/open$/)
    await expect.poll(() => focused(page)).toBe('H1 Open study')
    expect(await page.locator('h1').getAttribute('tabindex')).toBe('-1')

    await page.goto(url(`/diet/create-user/${await signPartnerToken(SECRET, { username: 'mover' })}`))
    await page.waitForURL(/\/diet\/home$/)
    await expect.poll(() => focused(page)).toBe('H1 Diet study')
    await page.getByTestId('start-recall').click()
    await page.waitForURL(/\/diet\/recall$/)
    await expect.poll(() => focused(page)).toBe('H1#recall-heading Your recall')
    await page.getByRole('link', { name: 'Back to the survey home' }).click()
    await page.waitForURL(/\/diet\/home$/)
    await expect.poll(() => focused(page)).toBe('H1 Diet study')
    expect(page.errors).toEqual([])
  })

  it('a first page load leaves the focus where the browser puts it', async () => {
    const page = await newPage()
    await page.goto(url('/open'), { waitUntil: 'networkidle' })
    expect(await page.locator(':focus').count()).toBe(0)
  })

  it('a failed sign-in marks the fields at fault, describes them by its message and puts the focus on the first', async () => {
    const page = await newPage()
    await page.goto(url('/open'), { waitUntil: 'networkidle' })
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => focused(page)).toBe('INPUT#login-username')
    expect(await page.locator('#login-username').getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#login-password').getAttribute('aria-invalid')).toBe('true')
    expect(await describedBy(page, '#login-username')).toContain('Enter your username and password.')

    await page.locator('#login-username').fill('someone')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => focused(page)).toBe('INPUT#login-password')
    expect(await page.locator('#login-username').getAttribute('aria-invalid')).toBeNull()

    await page.locator('#login-password').fill('Not-the-password-1')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.getByTestId('notice').textContent()).toContain('do not match')
    await expect.poll(() => focused(page)).toBe('INPUT#login-username')
    expect(await describedBy(page, '#login-password')).toContain('do not match')
    expect(page.errors).toEqual([])
  })

  it('the recall: a review asked for too early focuses the first meal at fault; the review, a change and the completion focus their headings', async () => {
    const page = await newPage()
    await page.goto(url(`/diet/create-user/${await signPartnerToken(SECRET, { username: 'reviewer' })}?redirect=recall`))
    await page.waitForURL(/\/diet\/recall$/)
    await expect.poll(() => focused(page)).toBe('H1#recall-heading Your recall')
    const status = page.getByTestId('save-status')
    expect(await status.getAttribute('role')).toBe('status')
    expect(await status.getAttribute('aria-live')).toBe('polite')

    await page.getByTestId('to-review').click()
    await expect.poll(() => focused(page)).toBe('INPUT')
    expect(await page.locator(':focus').getAttribute('data-testid')).toBe('meal-0-skipped')
    expect(await page.getByTestId('meal-0-skipped').getAttribute('aria-invalid')).toBe('true')
    expect(await describedBy(page, '[data-testid="meal-0-skipped"]')).toContain('Nothing recorded')
    expect(await page.getByTestId('review').count()).toBe(0)

    await page.getByTestId('meal-0-add-food').click()
    await expect.poll(() => page.locator(':focus').getAttribute('data-testid')).toBe('meal-0-food-0-description')
    const meals = await page.locator('fieldset.meal').count()
    for (let index = 1; index < meals; index++) await page.getByTestId(`meal-${index}-skipped`).check()
    await page.getByTestId('to-review').click()
    await expect.poll(() => page.locator(':focus').getAttribute('data-testid')).toBe('meal-0-food-0-description')
    expect(await page.getByTestId('meal-0-food-0-description').getAttribute('aria-invalid')).toBe('true')
    expect(await page.getByTestId('meal-0-problem').textContent()).toContain('Nothing recorded')
    expect(await page.getByTestId('meal-1-problem').count()).toBe(0)

    await page.getByTestId('meal-0-food-0-description').fill('Toast')
    expect(await page.getByTestId('meal-0-problem').count()).toBe(0)
    expect(await page.getByTestId('meal-0-food-0-description').getAttribute('aria-invalid')).toBeNull()
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe('All changes saved')

    await page.getByTestId('to-review').click()
    await expect.poll(() => focused(page)).toMatch(/^H2#review-heading /)
    await page.getByTestId('back-to-meals').click()
    await expect.poll(() => focused(page)).toBe('H1#recall-heading Your recall')
    await page.getByTestId('to-review').click()
    await page.getByTestId('submit-recall').click()
    await expect.poll(() => focused(page)).toBe('H1#complete-heading Thank you — your recall is submitted')
    expect(page.errors).toEqual([])
  })
})
