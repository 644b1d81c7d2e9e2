import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { createOrUpdateFromPartner, GENERATED_PASSWORD_CHARSET } from '#server/services/respondents'
import { findSurveyBySlug, upsertSurveys } from '#server/services/surveys'
import { PASSING_RESPONSE, SLOW_RESPONSE, startFakeHcaptcha } from '../support/fake-hcaptcha'
import { request, useTestServer } from '../support/server'
import { schema } from '../support/engine'

const { respondents } = schema

const captcha = await startFakeHcaptcha()
afterAll(() => captcha.close())
const server = await useTestServer({
  NUXT_TRUST_PROXY: '1',
  NUXT_CAPTCHA_PROVIDER: 'hcaptcha',
  NUXT_CAPTCHA_SECRET: 'hcaptcha-test-secret',
  NUXT_PUBLIC_CAPTCHA_SITE_KEY: 'hcaptcha-test-sitekey',
  NUXT_CAPTCHA_VERIFY_URL: captcha.verifyUrl,
  // Long enough for twenty checks at once on a loaded machine (one took over a second under the whole
  // PostgreSQL run), short of the fake's 15 s for SLOW_RESPONSE.
  NUXT_CAPTCHA_TIMEOUT_MS: '4000',
})
const base = { supportEmail: 'team@example.org', state: 'active' as const, allowGenUsers: true }

beforeAll(async () => {
  await upsertSurveys(server.db(), [
    { ...base, slug: 'Open', name: 'Open survey' },
    { ...base, slug: 'guarded', name: 'Guarded login', authCaptcha: true },
    { ...base, slug: 'partner', name: 'Partner', genUserKey: 'g'.repeat(40) },
    { ...base, slug: 'invite', name: 'Invite only', allowGenUsers: false },
    { ...base, slug: 'paused', name: 'Paused', state: 'suspended', suspensionReason: 'Holiday break' },
  ])
})

let nextIp = 1
/** Each test speaks from its own address (X-Forwarded-For, one trusted proxy) so the per-IP limits do not mix. */
const freshIp = () => `203.0.113.${nextIp++}`
const generate = (slug: string, body: object, ip: string) =>
  request(`/api/surveys/${slug}/generate-user`, { method: 'POST', body, headers: { 'x-forwarded-for': ip } })

describe('POST /api/surveys/{slug}/generate-user', () => {
  it('404 for an unknown survey; 403 for partner-only, generation off, and a suspended survey with its reason', async () => {
    const ip = freshIp()
    expect((await generate('nope', { captcha: PASSING_RESPONSE }, ip)).status).toBe(404)
    expect((await generate('partner', { captcha: PASSING_RESPONSE }, ip)).status).toBe(403)
    expect((await generate('invite', { captcha: PASSING_RESPONSE }, ip)).status).toBe(403)
    const paused = await generate('paused', { captcha: PASSING_RESPONSE }, ip)
    expect(paused.status).toBe(403)
    expect(paused.body.message).toContain('Holiday break')
  })

  it('400 errors.captcha for a missing or failed captcha; the provider gets secret, response, sitekey and remoteip', async () => {
    const ip = freshIp()
    const missing = await generate('open', {}, ip)
    expect(missing.status).toBe(400)
    expect(missing.body.errors).toHaveProperty('captcha')
    const wrong = await generate('open', { captcha: 'not-solved' }, ip)
    expect(wrong.status).toBe(400)
    expect(wrong.body.errors).toHaveProperty('captcha')
    expect(captcha.calls.at(-1)).toEqual({ secret: 'hcaptcha-test-secret', response: 'not-solved', sitekey: 'hcaptcha-test-sitekey', remoteip: ip })
  })

  it('200 with a username from the stored slug and a counter, and a 12+ character password stored only hashed', async () => {
    const response = await generate('OPEN', { captcha: PASSING_RESPONSE }, freshIp())
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ username: expect.stringMatching(/^Open\d+$/), password: expect.any(String) })
    const { username, password } = response.body
    expect(password.length).toBeGreaterThanOrEqual(12)
    expect([...password].every(char => GENERATED_PASSWORD_CHARSET.includes(char))).toBe(true)
    expect(password).not.toMatch(/[Il1O0o]/)
    const row = (await server.db().select().from(respondents).where(eq(respondents.username, username)))[0]!
    expect(row.passwordHash).toMatch(/^\$argon2id\$/)
    expect(JSON.stringify(row)).not.toContain(password)

    const login = await request('/api/auth/login/alias', { method: 'POST', body: { survey: 'open', username, password } })
    expect(login.status).toBe(200)
    expect(login.body).toHaveProperty('accessToken')
  })

  it('503, not a hang, when the captcha provider does not answer in time', async () => {
    const started = Date.now()
    const response = await generate('open', { captcha: SLOW_RESPONSE }, freshIp())
    expect(response.status).toBe(503)
    expect(response.body.message).toMatch(/captcha could not be checked/)
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('20 concurrent registrations get 20 distinct usernames', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => generate('open', { captcha: PASSING_RESPONSE }, freshIp())))
    expect(responses.map(r => r.status)).toEqual(Array(20).fill(200))
    expect(new Set(responses.map(r => r.body.username)).size).toBe(20)
  })

  it('the 6th success from one address in the window is 429 with Retry-After, also after a restart; another address is not affected', async () => {
    const ip = freshIp()
    for (let i = 0; i < 5; i++) expect((await generate('open', { captcha: PASSING_RESPONSE }, ip)).status).toBe(200)
    const limited = await generate('open', { captcha: PASSING_RESPONSE }, ip)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(limited.body.message).toMatch(/try again in \d+ minute/)
    await server.restart()
    expect((await generate('open', { captcha: PASSING_RESPONSE }, ip)).status).toBe(429)
    expect((await generate('open', { captcha: PASSING_RESPONSE }, freshIp())).status).toBe(200)
  })

  it('counts failed captchas separately: 20 failures, then 429 even with a solved captcha', async () => {
    const ip = freshIp()
    for (let i = 0; i < 20; i++) expect((await generate('open', { captcha: 'wrong' }, ip)).status).toBe(400)
    expect((await generate('open', { captcha: PASSING_RESPONSE }, ip)).status).toBe(429)
  })
})

describe('login challenge on a survey with authCaptcha', () => {
  it('answers a login without a captcha with a challenge, checks the captcha, then signs in', async () => {
    const ip = freshIp()
    const { body: credentials } = await generate('guarded', { captcha: PASSING_RESPONSE }, ip)
    const login = (extra: object) => request('/api/auth/login/alias', { method: 'POST', body: { survey: 'guarded', ...credentials, ...extra }, headers: { 'x-forwarded-for': ip } })
    const challenge = await login({})
    expect(challenge.status).toBe(200)
    expect(challenge.body).toEqual({ surveyId: 'guarded', provider: 'captcha' })
    expect(challenge.headers.getSetCookie()).toEqual([])
    const wrong = await login({ captcha: 'wrong' })
    expect(wrong.status).toBe(400)
    expect(wrong.body.errors).toHaveProperty('captcha')
    const solved = await login({ captcha: PASSING_RESPONSE })
    expect(solved.status).toBe(200)
    expect(solved.body).toHaveProperty('accessToken')
  })

  it('challenges a sign-in by auth token the same way', async () => {
    const db = server.db()
    const { authToken } = await createOrUpdateFromPartner(db, (await findSurveyBySlug(db, 'guarded'))!, { username: 'linked' })
    const challenge = await request('/api/auth/login/token', { method: 'POST', body: { token: authToken } })
    expect(challenge.body).toEqual({ surveyId: 'guarded', provider: 'captcha' })
    const solved = await request('/api/auth/login/token', { method: 'POST', body: { token: authToken, captcha: PASSING_RESPONSE } })
    expect(solved.body).toHaveProperty('accessToken')
  })

  it('refuses a captcha solved for another hostname when NUXT_CAPTCHA_HOSTNAME is set', async () => {
    await server.restart({ NUXT_CAPTCHA_HOSTNAME: 'survey.example.org' })
    const response = await generate('open', { captcha: PASSING_RESPONSE }, freshIp())
    expect(response.status).toBe(400)
    expect(response.body.errors.captcha.msg).toMatch(/another site/)
    await server.restart()
  })

  it('tells the pages which captcha to show, without the secret', async () => {
    const response = await request('/api/auth/captcha')
    expect(response.body).toEqual({ provider: 'hcaptcha', siteKey: 'hcaptcha-test-sitekey' })
  })
})
