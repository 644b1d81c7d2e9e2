import { beforeAll, describe, expect, it } from 'vitest'
import { upsertSurveys } from '#server/services/surveys'
import { useBrowser } from '../support/browser'
import { signPartnerToken } from '../support/jwt'
import { url, useTestServer } from '../support/server'

const server = await useTestServer()
const { browser, newPage } = await useBrowser()
const SECRET = 'languages-browser-secret-0123456789-abcdefg'

beforeAll(async () => {
  const partner = { state: 'active' as const, allowGenUsers: true, genUserKey: SECRET, authModes: ['token' as const], feedbackEnabled: true, minimumSubmissionInterval: 0 }
  await upsertSurveys(server.db(), [
    { slug: 'etude', name: 'Étude alimentaire', localeId: 'fr_FR', supportEmail: 'etude@example.org', ...partner },
    { slug: 'dirasa', name: 'دراسة غذائية', localeId: 'ar_AE', supportEmail: 'dirasa@example.org', ...partner },
    { slug: 'diet', name: 'Diet study', supportEmail: 'diet@example.org', ...partner },
    { slug: 'studie-nl', name: 'Voedingsstudie', localeId: 'nl_NL', supportEmail: 'nl@example.org', state: 'active', allowGenUsers: true },
  ])
})

type Page = Awaited<ReturnType<typeof newPage>>
/** A browser whose languages (Accept-Language, navigator.languages) are none of ours: a survey's page is then in the survey's language. */
const DUTCH = { locale: 'nl-NL' }
const htmlAttribute = (page: Page, name: string) => page.locator('html').getAttribute(name)

/** Adds one food to the first meal, marks every other meal skipped, reviews and submits. */
async function completeRecall(page: Page, food: string) {
  const meals = await page.locator('fieldset.meal').count()
  expect(meals).toBe(6)
  await page.getByTestId('meal-0-add-food').click()
  await page.getByTestId('meal-0-food-0-description').fill(food)
  for (let index = 1; index < meals; index++) await page.getByTestId(`meal-${index}-skipped`).check()
  await page.getByTestId('to-review').click()
  expect(await page.getByTestId('review').textContent()).toContain(food)
  await page.getByTestId('submit-recall').click()
  await page.getByTestId('recall-complete').waitFor()
}

describe('the respondent pages in the respondent\'s language', () => {
  it('a partner link to a French survey lands on the recall in French, which the respondent completes', async () => {
    const page = await newPage(DUTCH)
    await page.goto(url(`/etude/create-user/${await signPartnerToken(SECRET, { username: 'fr-1' })}?redirect=recall`))
    await page.waitForURL(/\/etude\/recall$/)
    await page.getByTestId('meal-0').waitFor()
    expect(await htmlAttribute(page, 'lang')).toBe('fr')
    expect(await htmlAttribute(page, 'dir')).toBe('ltr')
    expect(await page.getByTestId('recall-heading').textContent()).toContain('Votre rappel')
    expect(await page.locator('[data-testid="meal-0"] legend').textContent()).toBe('Petit-déjeuner')
    expect(await page.getByLabel('Langue').inputValue()).toBe('fr')
    await expect.poll(() => page.title()).toBe('Votre rappel')

    await completeRecall(page, 'Tartine de pain complet')
    expect(await page.getByTestId('recall-complete').textContent()).toContain('Merci, votre rappel a bien été envoyé')
    expect(await page.getByTestId('recall-complete').textContent()).toContain('Retour à l\'accueil de l\'enquête')
    expect(page.errors).toEqual([])
  })

  it('a partner link to an Arabic survey lands on the recall right to left, in Arabic, which the respondent completes', async () => {
    const page = await newPage(DUTCH)
    await page.goto(url(`/dirasa/create-user/${await signPartnerToken(SECRET, { username: 'ar-1' })}?redirect=recall`))
    await page.waitForURL(/\/dirasa\/recall$/)
    await page.getByTestId('meal-0').waitFor()
    expect(await htmlAttribute(page, 'lang')).toBe('ar')
    expect(await htmlAttribute(page, 'dir')).toBe('rtl')
    expect(await page.getByTestId('recall-heading').textContent()).toContain('استرجاعك الغذائي')
    expect(await page.locator('[data-testid="meal-0"] legend').textContent()).toBe('الفطور')
    // Mirrored: the site's name starts on the right, so the language menu ends up on the left.
    const header = await page.locator('.site-header').boundingBox()
    const menu = await page.getByTestId('language-menu').boundingBox()
    expect(menu!.x + menu!.width / 2).toBeLessThan(header!.x + header!.width / 2)

    await completeRecall(page, 'خبز بالزعتر')
    expect(await page.getByTestId('recall-complete').textContent()).toContain('شكرًا لك')
    expect(page.errors).toEqual([])
  })

  it('switching language on the recall changes the page at once, without a reload, keeps the saved recall and is remembered', async () => {
    const page = await newPage(DUTCH)
    await page.goto(url(`/etude/create-user/${await signPartnerToken(SECRET, { username: 'switcher' })}?redirect=recall`))
    await page.getByTestId('meal-0').waitFor()
    await page.getByTestId('meal-0-add-food').click()
    await page.getByTestId('meal-0-food-0-description').fill('Croissant')
    await page.getByTestId('meal-0-time').fill('07:30')
    await expect.poll(() => page.getByTestId('save-status').textContent(), { timeout: 10_000 }).toBe('Toutes les modifications sont enregistrées')

    await page.evaluate(() => Object.assign(globalThis, { sameDocument: true }))
    await page.getByLabel('Langue').selectOption('en-GB')
    await expect.poll(() => page.getByTestId('recall-heading').textContent()).toContain('Your recall')
    expect(await htmlAttribute(page, 'lang')).toBe('en-GB')
    expect(await page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument)).toBe(true)
    expect(await page.locator('[data-testid="meal-0"] legend').textContent()).toBe('Breakfast')
    expect(await page.getByTestId('meal-0-food-0-description').inputValue()).toBe('Croissant')
    expect(await page.getByTestId('save-status').textContent()).toBe('All changes saved')
    expect((await page.context().cookies()).find(cookie => cookie.name === 'rg_locale')?.value).toBe('en-GB')

    await page.getByLabel('Language').selectOption('ar')
    await expect.poll(() => htmlAttribute(page, 'dir')).toBe('rtl')
    await page.getByLabel('اللغة').selectOption('de')
    await expect.poll(() => page.getByTestId('recall-heading').textContent()).toContain('Ihr Ernährungsprotokoll')
    await page.reload()
    await page.getByTestId('meal-0').waitFor()
    expect(await htmlAttribute(page, 'lang')).toBe('de')
    expect(await page.getByTestId('meal-0-food-0-description').inputValue()).toBe('Croissant')
    expect(await page.getByTestId('meal-0-time').inputValue()).toBe('07:30')
    // The choice holds on every page, the survey's own language or not.
    await page.goto(url('/'))
    expect(await htmlAttribute(page, 'lang')).toBe('de')
    expect(page.errors).toEqual([])
  })

  it('/ and a survey page follow the browser\'s language with no choice made: German, rendered on the server without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, locale: 'de-DE' })
    const page = await context.newPage()
    for (const path of ['/', '/diet', '/studie-nl']) {
      const answer = await page.goto(url(path))
      const html = await answer!.text()
      expect(html, path).toMatch(/<html[^>]*\blang="de"/)
      expect(await htmlAttribute(page as Page, 'lang'), path).toBe('de')
    }
    expect(await page.locator('h2#login-heading').textContent()).toContain('Anmelden')
    expect(await page.getByLabel('Passwort').count()).toBe(1)
    await context.close()
  })

  it('a German browser with JavaScript gets an English survey\'s page in German, hydrated in German, and / in German', async () => {
    const context = await browser.newContext({ locale: 'de-DE' })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', error => errors.push(error.message))
    page.on('console', message => message.type() === 'warning' && /hydration/i.test(message.text()) && errors.push(message.text()))
    const messages: string[] = []
    page.on('request', request => /\/_i18n\//.test(request.url()) && messages.push(request.url().split('/').at(-2)!))
    // Once the network is idle the page has hydrated, in the language whose messages the browser loaded.
    await page.goto(url('/diet'), { waitUntil: 'networkidle' })
    expect(messages).toEqual(['de'])
    expect(await htmlAttribute(page as Page, 'lang')).toBe('de')
    expect(await page.getByTestId('link-only').textContent()).toContain('Um teilzunehmen')
    await page.getByRole('link', { name: 'Respondent Gateway' }).click()
    await expect.poll(() => page.locator('h1').textContent()).toContain('Umfragen für alle')
    expect(await htmlAttribute(page as Page, 'lang')).toBe('de')
    expect(errors).toEqual([])
    await context.close()
  })

  it('to a browser naming none of our languages, / and a survey in a language we lack are English, a French survey French; moving between pages follows each', async () => {
    const page = await newPage(DUTCH)
    await page.goto(url('/'))
    expect(await htmlAttribute(page, 'lang')).toBe('en-GB')
    expect(await page.locator('h1').textContent()).toContain('Surveys open to everyone')
    await page.getByRole('link', { name: 'Voedingsstudie' }).click()
    await page.waitForURL(/\/studie-nl$/)
    await expect.poll(() => page.locator('h1').textContent()).toContain('Voedingsstudie')
    expect(await htmlAttribute(page, 'lang')).toBe('en-GB')
    await page.goto(url('/etude'))
    expect(await htmlAttribute(page, 'lang')).toBe('fr')
    expect(await page.getByTestId('link-only').textContent()).toContain('Pour participer')
    await page.getByRole('link', { name: 'Respondent Gateway' }).click()
    await page.waitForURL(url => url.pathname === '/')
    await expect.poll(() => page.locator('h1').textContent()).toContain('Surveys open to everyone')
    expect(await htmlAttribute(page, 'lang')).toBe('en-GB')
    expect(page.errors).toEqual([])
  })
})
