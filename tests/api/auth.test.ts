import { beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { createOrUpdateFromPartner } from '#server/services/respondents'
import { findSurveyBySlug, upsertSurveys } from '#server/services/surveys'
import { request, url, useTestServer } from '../support/server'
import { schema } from '../support/engine'

const { refreshSessions, users } = schema

const server = await useTestServer({ NUXT_LOGIN_RATE_LIMIT_MAX: '5' })
const base = { supportEmail: 'team@example.org', state: 'active' as const, allowGenUsers: true, genUserKey: 'k'.repeat(40) }
const PASSWORD = 'Correct-horse9'
let alice: { userId: string, authToken: string }
let tokenOnly: { authToken: string }
let other: { authToken: string }

beforeAll(async () => {
  const db = server.db()
  await upsertSurveys(db, [
    { ...base, slug: 'both', name: 'Both modes', userCustomFields: true, userPersonalIdentifiers: true },
    { ...base, slug: 'token-only', name: 'Token only', authModes: ['token'] },
    { ...base, slug: 'password-only', name: 'Password only', authModes: ['username'] },
    { ...base, slug: 'other', name: 'Other survey' },
  ])
  alice = await createOrUpdateFromPartner(db, (await findSurveyBySlug(db, 'both'))!, { username: 'alice', password: PASSWORD, name: 'Alice', customFields: [{ name: 'arm', value: 'B', public: true }, { name: 'nhs', value: '999', public: false }] })
  tokenOnly = await createOrUpdateFromPartner(db, (await findSurveyBySlug(db, 'token-only'))!, { username: 'tina', password: PASSWORD })
  await createOrUpdateFromPartner(db, (await findSurveyBySlug(db, 'password-only'))!, { username: 'pat', password: PASSWORD })
  other = await createOrUpdateFromPartner(db, (await findSurveyBySlug(db, 'other'))!, { username: 'olga' })
})

function refreshCookie(response: { headers: Headers }): string | undefined {
  const cookie = response.headers.getSetCookie().find(value => value.startsWith('rg_refresh='))
  return cookie?.split(';')[0]
}
const loginAlias = (body: object, headers: Record<string, string> = {}) => request('/api/auth/login/alias', { method: 'POST', body, headers })
const loginToken = (body: object, headers: Record<string, string> = {}) => request('/api/auth/login/token', { method: 'POST', body, headers })
const refresh = (cookie?: string) => request('/api/auth/refresh', { method: 'POST', headers: cookie ? { cookie } : {} })
const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` })

describe('login', () => {
  it('signs in by username and password (survey ignoring case) with an access token and an HttpOnly refresh cookie', async () => {
    const response = await loginAlias({ survey: 'BOTH', username: 'alice', password: PASSWORD })
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) })
    const setCookie = response.headers.getSetCookie().find(value => value.startsWith('rg_refresh='))!
    expect(setCookie).toMatch(/HttpOnly/i)
    expect(setCookie).toMatch(/SameSite=Lax/i)
    expect(setCookie).toMatch(/Path=\/api\/auth/)
    expect(setCookie).not.toMatch(/Secure/i) // plain http here
    expect(JSON.stringify(response.body)).not.toContain(PASSWORD)
  })

  it('sets the Secure flag behind a trusted https proxy', async () => {
    await server.restart({ NUXT_TRUST_PROXY: '1' })
    const response = await loginAlias({ survey: 'both', username: 'alice', password: PASSWORD }, { 'x-forwarded-proto': 'https' })
    expect(response.headers.getSetCookie().find(value => value.startsWith('rg_refresh='))).toMatch(/Secure/i)
    await server.restart()
  })

  it('answers a wrong password, unknown user, unknown survey and disabled account with one generic 401', async () => {
    const messages = new Set<string>()
    for (const body of [
      { survey: 'both', username: 'alice', password: 'Wrong-pass99' },
      { survey: 'both', username: 'nobody', password: PASSWORD },
      { survey: 'nowhere', username: 'alice', password: PASSWORD },
    ]) {
      const response = await loginAlias(body, { 'x-test': 'generic' })
      expect(response.status).toBe(401)
      messages.add(response.body.message)
    }
    expect(messages.size).toBe(1)
  })

  it('validates the body with errors per field', async () => {
    const response = await loginAlias({ survey: 'both', username: 5 })
    expect(response.status).toBe(400)
    expect(Object.keys(response.body.errors).sort()).toEqual(['password', 'username'])
  })

  it('signs in by auth token', async () => {
    const response = await loginToken({ token: alice.authToken })
    expect(response.status).toBe(200)
    expect(refreshCookie(response)).toBeDefined()
    expect((await loginToken({ token: 'x'.repeat(32) })).status).toBe(401)
  })

  it('refuses a login mode the survey does not allow with 403', async () => {
    expect((await loginAlias({ survey: 'token-only', username: 'tina', password: PASSWORD })).status).toBe(403)
    const response = await request('/api/auth/login/token', { method: 'POST', body: { token: tokenOnly.authToken } })
    expect(response.status).toBe(200)
    const passwordOnly = server.db().query.respondents.findFirst({ where: (r, { eq }) => eq(r.username, 'pat') })
    const patToken = (await passwordOnly)!.authToken
    expect((await loginToken({ token: patToken })).status).toBe(403)
  })

  it('a disabled account cannot sign in', async () => {
    await server.db().update(users).set({ disabled: true }).where(eq(users.id, Number(alice.userId)))
    expect((await loginToken({ token: alice.authToken })).status).toBe(401)
    expect((await loginAlias({ survey: 'both', username: 'alice', password: PASSWORD })).status).toBe(401)
    await server.db().update(users).set({ disabled: false }).where(eq(users.id, Number(alice.userId)))
  })
})

describe('refresh and logout', () => {
  it('rotates the refresh cookie; reusing a rotated one revokes the whole session', async () => {
    const login = await loginAlias({ survey: 'both', username: 'alice', password: PASSWORD })
    const first = refreshCookie(login)!
    const rotated = await refresh(first)
    expect(rotated.status).toBe(200)
    expect(rotated.body).toEqual({ accessToken: expect.any(String) })
    const second = refreshCookie(rotated)!
    expect(second).not.toBe(first)

    const reuse = await refresh(first)
    expect(reuse.status).toBe(401)
    expect(reuse.body.message).toMatch(/used twice/)
    expect((await refresh(second)).status).toBe(401) // the family is gone
  })

  it('401 without a cookie or with a forged one', async () => {
    expect((await refresh()).status).toBe(401)
    expect((await refresh('rg_refresh=forged-value')).status).toBe(401)
  })

  it('logout revokes the session and clears the cookie', async () => {
    const login = await loginToken({ token: alice.authToken })
    const cookie = refreshCookie(login)!
    const logout = await request('/api/auth/logout', { method: 'POST', headers: { cookie } })
    expect(logout.status).toBe(200)
    expect(logout.headers.getSetCookie().find(value => value.startsWith('rg_refresh='))).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i)
    expect((await refresh(cookie)).status).toBe(401)
    const revoked = (await server.db().select().from(refreshSessions)).filter(row => row.revokedAt)
    expect(revoked.length).toBeGreaterThan(0)
  })
})

describe('refresh and logout refuse other sites', () => {
  const ownOrigin = () => new URL(url('/')).origin
  const post = (path: string, cookie: string, headers: Record<string, string>) => request(path, { method: 'POST', headers: { cookie, ...headers } })
  const foreign = (): [string, Record<string, string>][] => [
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['Origin: null', { origin: 'null' }],
    ['the own host on another port', { origin: `http://${new URL(url('/')).hostname}:1` }],
    ['a foreign Origin with X-Forwarded-Host (no trusted proxy)', { 'origin': 'https://evil.example', 'x-forwarded-host': 'evil.example' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: cross-site with the own Origin', { 'origin': ownOrigin(), 'sec-fetch-site': 'cross-site' }],
  ]

  it('403 with no Set-Cookie for a cross-site refresh or logout; the session still works afterwards', async () => {
    const cookie = refreshCookie(await loginToken({ token: alice.authToken }))!
    for (const [label, headers] of foreign()) {
      for (const path of ['/api/auth/refresh', '/api/auth/logout']) {
        const response = await post(path, cookie, headers)
        expect(response.status, `${path}, ${label}`).toBe(403)
        expect(response.body, `${path}, ${label}`).toMatchObject({ statusCode: 403, message: expect.any(String), errors: { origin: { msg: expect.any(String) } } })
        expect(response.headers.get('set-cookie'), `${path}, ${label}`).toBeNull()
      }
    }
    const still = await refresh(cookie)
    expect(still.status).toBe(200)
    expect(still.body).toEqual({ accessToken: expect.any(String) })
  })

  it('200 from the app\'s own origin, from same-origin, same-site or direct navigation, and without either header', async () => {
    let cookie = refreshCookie(await loginToken({ token: alice.authToken }))!
    const allowed: Record<string, string>[] = [{ origin: ownOrigin() }, { 'origin': ownOrigin(), 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'same-site' }, { 'sec-fetch-site': 'none' }, {}]
    for (const headers of allowed) {
      const response = await post('/api/auth/refresh', cookie, headers)
      expect(response.status, JSON.stringify(headers)).toBe(200)
      cookie = refreshCookie(response)!
    }
    const logout = await post('/api/auth/logout', cookie, { 'origin': ownOrigin(), 'sec-fetch-site': 'same-origin' })
    expect(logout.status).toBe(200)
    expect((await refresh(cookie)).status).toBe(401)
  })
})

describe('failed-login rate limit', () => {
  it('429 with Retry-After after 5 failures per IP and username, kept across a restart', async () => {
    for (let i = 0; i < 5; i++) expect((await loginAlias({ survey: 'password-only', username: 'pat', password: `Wrong-pass${i}` })).status).toBe(401)
    const limited = await loginAlias({ survey: 'password-only', username: 'pat', password: PASSWORD })
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(limited.body).toMatchObject({ statusCode: 429, message: expect.stringMatching(/Too many/) })
    await server.restart()
    expect((await loginAlias({ survey: 'password-only', username: 'pat', password: PASSWORD })).status).toBe(429)
    // Another username from the same address is not locked out.
    expect((await loginAlias({ survey: 'both', username: 'alice', password: PASSWORD })).status).toBe(200)
  })
})

describe('respondent API: parameters and user-info', () => {
  it('401 without a token, with a garbage token, or one signed with another secret', async () => {
    for (const headers of [{}, bearer('garbage'), bearer('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl')]) {
      const response = await request('/api/surveys/both/parameters', { headers })
      expect(response.status).toBe(401)
      expect(response.body).toMatchObject({ statusCode: 401, message: expect.any(String) })
      expect((await request('/api/surveys/both/user-info', { headers })).status).toBe(401)
    }
  })

  it('403 with another survey\'s token; 404 for an unknown survey', async () => {
    const { body } = await loginToken({ token: other.authToken })
    expect((await request('/api/surveys/both/parameters', { headers: bearer(body.accessToken) })).status).toBe(403)
    expect((await request('/api/surveys/both/user-info', { headers: bearer(body.accessToken) })).status).toBe(403)
    expect((await request('/api/surveys/nowhere/user-info', { headers: bearer(body.accessToken) })).status).toBe(404)
  })

  it('200 with the survey parameters and the respondent\'s public information', async () => {
    const { body } = await loginToken({ token: alice.authToken })
    const parameters = await request('/api/surveys/both/parameters', { headers: bearer(body.accessToken) })
    expect(parameters.status).toBe(200)
    expect(parameters.body).toMatchObject({ slug: 'both', name: 'Both modes', state: 'active', suspensionReason: null, feedbackEnabled: false, scheme: { meals: expect.arrayContaining(['Breakfast', 'Dinner']) } })
    expect(JSON.stringify(parameters.body)).not.toContain('k'.repeat(40))

    const info = await request('/api/surveys/both/user-info', { headers: bearer(body.accessToken) })
    expect(info.status).toBe(200)
    expect(info.body).toMatchObject({ userId: alice.userId, username: 'alice', name: 'Alice', customFields: [{ name: 'arm', value: 'B' }], submissions: { total: 0, today: 0, canSubmit: true } })
    expect(JSON.stringify(info.body)).not.toContain('999')
    expect(JSON.stringify(info.body)).not.toContain(alice.authToken)
  })

  it('401 once the account is disabled, even with a valid access token', async () => {
    const { body } = await loginToken({ token: alice.authToken })
    await server.db().update(users).set({ disabled: true }).where(eq(users.id, Number(alice.userId)))
    expect((await request('/api/surveys/both/user-info', { headers: bearer(body.accessToken) })).status).toBe(401)
    await server.db().update(users).set({ disabled: false }).where(eq(users.id, Number(alice.userId)))
  })
})
