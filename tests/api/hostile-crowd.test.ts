import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asc, count, desc, eq } from 'drizzle-orm'
import { createAccessToken } from '#server/services/access-tokens'
import { createOrUpdateFromPartner } from '#server/services/respondents'
import { findSurveyBySlug, upsertSurveys } from '#server/services/surveys'
import { startExtraServer, type ExtraServer } from '../support/second-server'
import { request, useTestServer } from '../support/server'
import { schema } from '../support/engine'

const { refreshSessions, respondents } = schema

// Every test speaks from its own client address (X-Forwarded-For through one trusted proxy hop), so the
// per-address limits of one test do not touch another's.
const env = {
  NUXT_TRUST_PROXY: '1',
  NUXT_LOGIN_RATE_LIMIT_MAX: '5',
  NUXT_LOGIN_RATE_LIMIT_ADDRESS_MAX: '8',
  NUXT_GENERATE_USER_RATE_LIMIT_MAX: '5',
  NUXT_GENERATE_USER_RATE_LIMIT_FAILED_MAX: '20',
  NUXT_LOGIN_RATE_LIMIT_REFUSAL_DELAY_MS: '700',
}
const REFUSAL_DELAY_MS = 700
const server = await useTestServer(env)
const PASSWORD = 'Correct-horse9'
const base = { supportEmail: 'team@example.org', state: 'active' as const }
let alice: { userId: string, authToken: string }
let adminToken: string

beforeAll(async () => {
  const db = server.db()
  await upsertSurveys(db, [
    { ...base, slug: 'cohort', name: 'Cohort', allowGenUsers: true, genUserKey: 'k'.repeat(40), authModes: ['username', 'token'] },
    { ...base, slug: 'links-only', name: 'Links only', allowGenUsers: true, genUserKey: 'l'.repeat(40), authModes: ['token'] },
    { ...base, slug: 'open', name: 'Open', allowGenUsers: true },
  ])
  const cohort = (await findSurveyBySlug(db, 'cohort'))!
  alice = await createOrUpdateFromPartner(db, cohort, { username: 'alice', password: PASSWORD })
  for (const username of ['bob', 'carol', 'dave', 'erin', 'frank'])
    await createOrUpdateFromPartner(db, cohort, { username, password: PASSWORD })
  adminToken = (await createAccessToken(db, { name: 'crowd-test', scopes: ['surveys:read', 'surveys:write', 'respondents:read', 'respondents:write'] })).token
})

const from = (address: string) => ({ 'x-forwarded-for': address })
const loginAlias = (address: string, body: object) => request('/api/auth/login/alias', { method: 'POST', body, headers: from(address) })
const loginToken = (address: string, token: string) => request('/api/auth/login/token', { method: 'POST', body: { token }, headers: from(address) })
const refresh = (cookie: string) => request('/api/auth/refresh', { method: 'POST', headers: { cookie } })
const admin = (path: string, init: { method?: string, body?: unknown } = {}) =>
  request(path, { ...init, headers: { authorization: `Bearer ${adminToken}` } })
const refreshCookie = (response: { headers: Headers }) =>
  response.headers.getSetCookie().find(value => value.startsWith('rg_refresh='))!.split(';')[0]!
const respondentCount = async () => (await server.db().select({ n: count() }).from(respondents))[0]!.n
/** The refresh session signed in or rotated last. */
const latestSession = async () => (await server.db().select().from(refreshSessions).orderBy(desc(refreshSessions.id)).limit(1))[0]!
const statusCounts = (responses: { status: number }[]) =>
  responses.reduce<Record<number, number>>((counts, { status }) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {})

async function signedInCookie(address: string) {
  const response = await loginAlias(address, { survey: 'cohort', username: 'alice', password: PASSWORD })
  expect(response.status).toBe(200)
  return refreshCookie(response)
}

describe('rate limits hold under parallel requests', () => {
  it('of 100 parallel wrong-password sign-ins for one username, only the limit (5) are checked; the rest get 429', async () => {
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) =>
      loginAlias('198.51.100.1', { survey: 'cohort', username: 'bob', password: `Wrong-pass${i}` })))
    expect(statusCounts(responses)).toEqual({ 401: 5, 429: 95 })
    expect(responses.find(response => response.status === 429)!.headers.get('retry-after')).toMatch(/^\d+$/)
  })

  it('of 30 parallel generate-user calls from one address, only the limit (5) create an account', async () => {
    const before = await respondentCount()
    const responses = await Promise.all(Array.from({ length: 30 }, () =>
      request('/api/surveys/open/generate-user', { method: 'POST', body: {}, headers: from('198.51.100.2') })))
    expect(statusCounts(responses)).toEqual({ 200: 5, 429: 25 })
    expect(await respondentCount() - before).toBe(5)
  })

  it('failed password sign-ins are limited per address across usernames too, and a success gives its attempt back', async () => {
    const address = '198.51.100.3'
    // One wrong password each for eight usernames: the address's budget of 8 is spent by the eighth.
    const responses = await Promise.all(['bob', 'carol', 'dave', 'erin', 'frank', 'nobody1', 'nobody2', 'nobody3', 'nobody4', 'nobody5']
      .map(username => loginAlias(address, { survey: 'cohort', username, password: 'Wrong-pass1' })))
    expect(statusCounts(responses)).toEqual({ 401: 8, 429: 2 })
    // A username this address never tried is refused as well: the limit is the address's.
    expect((await loginAlias(address, { survey: 'cohort', username: 'alice', password: PASSWORD })).status).toBe(429)

    // Seven failures and a success from another address: the success does not count, so one more try is allowed.
    const other = '198.51.100.4'
    for (const username of ['bob', 'carol', 'dave', 'erin', 'frank', 'nobody1', 'nobody2'])
      expect((await loginAlias(other, { survey: 'cohort', username, password: 'Wrong-pass1' })).status).toBe(401)
    expect((await loginAlias(other, { survey: 'cohort', username: 'alice', password: PASSWORD })).status).toBe(200)
    expect((await loginAlias(other, { survey: 'cohort', username: 'nobody3', password: 'Wrong-pass1' })).status).toBe(401)
    expect((await loginAlias(other, { survey: 'cohort', username: 'nobody4', password: 'Wrong-pass1' })).status).toBe(429)
  })

  it('an address known to be over its limit is refused before the route, with the same answer, held a moment to slow a flooding script', async () => {
    const address = '198.51.100.30'
    for (const username of ['bob', 'carol', 'dave', 'erin', 'frank', 'nobody1', 'nobody2', 'nobody3'])
      expect((await loginAlias(address, { survey: 'cohort', username, password: 'Wrong-pass1' })).status).toBe(401)
    // The ninth failure is refused by the route, which learns that the address is over its limit ...
    const byRoute = await loginAlias(address, { survey: 'cohort', username: 'nobody4', password: 'Wrong-pass1' })
    expect(byRoute.status).toBe(429)
    // ... so the next one, right password or not, is refused before its body is read, and only after the hold.
    const started = performance.now()
    const held = await loginAlias(address, { survey: 'cohort', username: 'alice', password: PASSWORD })
    const heldForMs = performance.now() - started
    expect(held.status).toBe(429)
    expect(heldForMs).toBeGreaterThanOrEqual(REFUSAL_DELAY_MS - 5)
    expect(held.body).toEqual({ statusCode: 429, message: expect.stringMatching(/^Too many failed sign-in attempts\. Try again in \d+ minute\(s\)\.$/) })
    expect(Object.keys(byRoute.body)).toEqual(['statusCode', 'message'])
    for (const header of ['content-type', 'cache-control', 'content-security-policy', 'referrer-policy', 'x-content-type-options'])
      expect(held.headers.get(header), header).toBe(byRoute.headers.get(header))
    expect(held.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(Number(held.headers.get('retry-after'))).toBeLessThanOrEqual(Number(byRoute.headers.get('retry-after')))
  })

  it('a valid auth token signs in from an address that has used up its failed-token budget', async () => {
    const address = '198.51.100.5'
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => loginToken(address, `not-a-real-token-${i}-${'x'.repeat(24)}`)))
    expect(statusCounts(responses)).toEqual({ 401: 5, 429: 15 })
    expect((await loginToken(address, 'still-not-a-real-token-'.padEnd(32, 'y'))).status).toBe(429)
    expect((await loginToken(address, alice.authToken)).status).toBe(200)
  })

  describe('across two server processes sharing the database', () => {
    let second: ExtraServer
    beforeAll(async () => {
      second = await startExtraServer({ ...env, DATABASE_URL: server.databasePath })
    })
    afterAll(() => second?.stop())

    const onSecond = (path: string, body: object, address: string) => fetch(`${second.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...from(address) },
      body: JSON.stringify(body),
    }).then(response => ({ status: response.status }))

    it('parallel wrong-password sign-ins split over both get at most the limit through', async () => {
      const address = '198.51.100.6'
      const body = (i: number) => ({ survey: 'cohort', username: 'carol', password: `Wrong-pass${i}` })
      const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => i % 2
        ? loginAlias(address, body(i))
        : onSecond('/api/auth/login/alias', body(i), address)))
      expect(statusCounts(responses)).toEqual({ 401: 5, 429: 35 })
    })

    it('parallel generate-user calls split over both create at most the limit', async () => {
      const address = '198.51.100.7'
      const before = await respondentCount()
      const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => i % 2
        ? request('/api/surveys/open/generate-user', { method: 'POST', body: {}, headers: from(address) })
        : onSecond('/api/surveys/open/generate-user', {}, address)))
      expect(statusCounts(responses)).toEqual({ 200: 5, 429: 25 })
      expect(await respondentCount() - before).toBe(5)
    })
  })
})

describe('sign-in cannot be starved', () => {
  // One hash at a time and room for three waiting: any request that spends a hash beyond that is refused.
  const tightQueue = { NUXT_PASSWORD_HASH_CONCURRENCY: '1', NUXT_PASSWORD_HASH_QUEUE_MAX: '3', NUXT_LOGIN_RATE_LIMIT_ADDRESS_MAX: '1000' }

  it('spends no hash on a survey that does not exist or does not allow password sign-in', async () => {
    await server.restart(tightQueue)
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => i % 2
      ? loginAlias(`203.0.113.${i}`, { survey: 'no-such-survey', username: `user${i}`, password: 'Wrong-pass1' })
      : loginAlias(`203.0.113.${i}`, { survey: 'links-only', username: `user${i}`, password: 'Wrong-pass1' })))
    expect(statusCounts(responses)).toEqual({ 401: 20, 403: 20 })
  })

  it('sheds what the bounded queue cannot hold with 503 and Retry-After, and a real sign-in works after the flood', async () => {
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      loginAlias(`192.0.2.${i}`, { survey: 'cohort', username: `nobody${i}`, password: 'Wrong-pass1' })))
    const counts = statusCounts(responses)
    expect(Object.keys(counts).sort()).toEqual(['401', '503'])
    expect(counts[401]).toBeGreaterThanOrEqual(4) // one running and three waiting at the least
    const shed = responses.find(response => response.status === 503)!
    expect(shed.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(shed.body).toMatchObject({ statusCode: 503, message: expect.stringMatching(/busy/) })
    expect((await loginAlias('192.0.2.200', { survey: 'cohort', username: 'alice', password: PASSWORD })).status).toBe(200)
    await server.restart()
  })
})

describe('changing a respondent\'s credentials ends their sessions', () => {
  const respondentPath = () => `/api/admin/surveys/cohort/respondents/${alice.userId}`

  it('a new auth token from the admin API revokes every refresh session of the respondent', async () => {
    const [first, second] = [await signedInCookie('192.0.2.210'), await signedInCookie('192.0.2.211')]
    const rotated = await admin(`${respondentPath()}/auth-token`, { method: 'POST' })
    expect(rotated.status).toBe(200)
    alice.authToken = rotated.body.authToken
    expect((await refresh(first)).status).toBe(401)
    expect((await refresh(second)).status).toBe(401)
    // Signing in again works, with the new token.
    expect((await loginToken('192.0.2.212', alice.authToken)).status).toBe(200)
  })

  it('a new password revokes them', async () => {
    const cookie = await signedInCookie('192.0.2.213')
    expect((await admin(respondentPath(), { method: 'PATCH', body: { password: 'Another-horse8' } })).status).toBe(200)
    expect((await refresh(cookie)).status).toBe(401)
    expect((await admin(respondentPath(), { method: 'PATCH', body: { password: PASSWORD } })).status).toBe(200)
  })

  it('disabling revokes them, and enabling again does not bring them back', async () => {
    const cookie = await signedInCookie('192.0.2.214')
    expect((await admin(respondentPath(), { method: 'PATCH', body: { disabled: true } })).status).toBe(200)
    expect((await admin(respondentPath(), { method: 'PATCH', body: { disabled: false } })).status).toBe(200)
    expect((await refresh(cookie)).status).toBe(401)
  })

  it('a change that is not a credential (the name) leaves them alone', async () => {
    const cookie = await signedInCookie('192.0.2.215')
    expect((await admin(respondentPath(), { method: 'PATCH', body: { name: 'Alice A.' } })).status).toBe(200)
    expect((await refresh(cookie)).status).toBe(200)
  })

  it('deleting the respondent (with their survey) ends them', async () => {
    const db = server.db()
    await upsertSurveys(db, { ...base, slug: 'short-lived', name: 'Short-lived', allowGenUsers: true, genUserKey: 's'.repeat(40) })
    const zoe = await createOrUpdateFromPartner(db, (await findSurveyBySlug(db, 'short-lived'))!, { username: 'zoe' })
    const cookie = refreshCookie(await loginToken('192.0.2.216', zoe.authToken))
    expect((await admin('/api/admin/surveys/short-lived?force=true', { method: 'DELETE' })).status).toBe(200)
    expect((await refresh(cookie)).status).toBe(401)
  })
})

describe('refresh sessions have an absolute lifetime', () => {
  it('rotation keeps the sign-in\'s expiry instead of pushing it forward', async () => {
    let cookie = await signedInCookie('192.0.2.220')
    const { familyId } = await latestSession()
    const family = () => server.db().select().from(refreshSessions)
      .where(eq(refreshSessions.familyId, familyId)).orderBy(asc(refreshSessions.id))
    const [signIn] = await family()
    const expires = (response: { headers: Headers }) => response.headers.getSetCookie().find(value => value.startsWith('rg_refresh='))!.match(/Expires=([^;]+)/i)![1]!
    for (let i = 0; i < 3; i++) {
      await new Promise(resolve => setTimeout(resolve, 20))
      const rotated = await refresh(cookie)
      expect(rotated.status).toBe(200)
      expect(new Date(expires(rotated)).getTime()).toBeLessThanOrEqual(signIn!.expiresAt.getTime())
      cookie = refreshCookie(rotated)
    }
    const rows = await family()
    expect(rows).toHaveLength(4)
    for (const row of rows) expect(row.expiresAt.getTime()).toBe(signIn!.expiresAt.getTime())
    // Thirty days from sign-in, by default.
    expect(signIn!.expiresAt.getTime() - signIn!.createdAt.getTime()).toBe(30 * 24 * 3600 * 1000)
  })

  it('a session past its lifetime cannot be refreshed, and the lifetime is configurable', async () => {
    await server.restart({ NUXT_SESSION_LIFETIME_DAYS: '1' })
    const cookie = await signedInCookie('192.0.2.221')
    const latest = await latestSession()
    expect(latest.expiresAt.getTime() - latest.createdAt.getTime()).toBe(24 * 3600 * 1000)
    await server.db().update(refreshSessions).set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(refreshSessions.familyId, latest.familyId))
    expect((await refresh(cookie)).status).toBe(401)
    await server.restart()
  })
})
