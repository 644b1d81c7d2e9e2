import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { upsertSurveys } from '#server/services/surveys'
import { useBrowser } from '../support/browser'
import { startFakeHcaptcha } from '../support/fake-hcaptcha'
import { url, useTestServer } from '../support/server'

const server = await useTestServer()
const { newPage } = await useBrowser()
const captcha = await startFakeHcaptcha()
afterAll(() => captcha.close())

beforeAll(async () => {
  await upsertSurveys(server.db(), [
    { slug: 'open-study', name: 'Open study', supportEmail: 'open@example.org', state: 'active', allowGenUsers: true, authModes: ['username', 'token'] },
  ])
})

describe('self-registration on an open survey', () => {
  it('creates an account, shows the credentials once, continues signed in, and signs in again with them', async () => {
    const page = await newPage()
    await page.goto(url('/open-study'))
    await page.getByTestId('create-account').click()
    await page.getByTestId('generated-credentials').waitFor()
    const username = (await page.getByTestId('generated-username').textContent())!.trim()
    const password = (await page.getByTestId('generated-password').textContent())!.trim()
    expect(username).toMatch(/^open-study\d+$/)
    expect(password.length).toBeGreaterThanOrEqual(12)
    expect(await page.getByTestId('generated-credentials').textContent()).toContain('only time the password is shown')

    await page.getByTestId('continue').click()
    await page.waitForURL(/\/open-study\/home$/)
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toContain(username)

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(/\/open-study$/)
    await page.getByLabel('Username').fill(username)
    await page.getByLabel('Password').fill('Wrong-password-1')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.getByTestId('notice').textContent()).toContain('do not match')
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/open-study\/home$/)
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toContain(username)
    expect(page.errors).toEqual([])
  })

  it('with hCaptcha configured, renders the widget container without page errors and waits for it', async () => {
    await server.restart({
      NUXT_CAPTCHA_PROVIDER: 'hcaptcha',
      NUXT_CAPTCHA_SECRET: 'browser-test-secret',
      NUXT_PUBLIC_CAPTCHA_SITE_KEY: '10000000-ffff-ffff-ffff-000000000001',
      NUXT_CAPTCHA_VERIFY_URL: captcha.verifyUrl,
    })
    const page = await newPage()
    await page.goto(url('/open-study'))
    await page.getByTestId('captcha').waitFor({ state: 'attached' })
    await page.waitForLoadState('networkidle').catch(() => undefined)
    expect(await page.getByTestId('create-account').isDisabled()).toBe(true)
    expect(page.errors).toEqual([])
  })
})
