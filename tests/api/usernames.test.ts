import { beforeAll, describe, expect, it } from 'vitest'
import { count } from 'drizzle-orm'
import { ADMIN_SCOPES, createAccessToken } from '#server/services/access-tokens'
import { upsertSurveys } from '#server/services/surveys'
import { request, useTestServer } from '../support/server'
import { schema } from '../support/engine'

const { respondents } = schema

const server = await useTestServer()
const NFD = 'Jose\u0301'
const NFC = 'Jos\u00E9'
const PASSWORD = 'Correct-horse1'
let adminAuth: Record<string, string>

beforeAll(async () => {
  const db = server.db()
  await upsertSurveys(db, { slug: 'names', name: 'Names', supportEmail: 'a@example.org', state: 'active', authModes: ['username', 'token'] })
  adminAuth = { authorization: `Bearer ${(await createAccessToken(db, { name: 'names', scopes: [...ADMIN_SCOPES] })).token}` }
})

const createRespondent = (body: Record<string, unknown>) =>
  request('/api/admin/surveys/names/respondents', { method: 'POST', body, headers: adminAuth })
const respondentCount = async () => (await server.db().select({ n: count() }).from(respondents))[0]!.n

describe('usernames as a person reads them: admin API and password sign-in', () => {
  it('an admin-created NFD "José" is stored in NFC; creating the NFC spelling is 409', async () => {
    const created = await createRespondent({ username: NFD, password: PASSWORD })
    expect(created.status).toBe(201)
    expect(created.body.username).toBe(NFC)
    const again = await createRespondent({ username: NFC })
    expect(again.status).toBe(409)
    expect(again.body.errors).toHaveProperty('username')
  })

  it('the list filter finds the respondent typed either way', async () => {
    for (const filter of [NFC, NFD, 'os\u00E9', 'ose\u0301']) {
      const listed = await request(`/api/admin/surveys/names/respondents?username=${encodeURIComponent(filter)}`, { headers: adminAuth })
      expect(listed.status, filter).toBe(200)
      expect(JSON.stringify(listed.body), filter).toContain(`"username":"${NFC}"`)
    }
  })

  it('signs in typing the NFC spelling (and the NFD one) with the password', async () => {
    for (const username of [NFC, NFD]) {
      const response = await request('/api/auth/login/alias', { method: 'POST', body: { survey: 'names', username, password: PASSWORD } })
      expect(response.status, JSON.stringify(username)).toBe(200)
      expect(response.body.accessToken).toEqual(expect.any(String))
    }
  })

  it('400 errors.username for invisible, bidi, non-ASCII space and edge-space usernames and lone surrogates, on create and sign-in', async () => {
    const before = await respondentCount()
    for (const username of ['a\u200Bb', 'a\u200Db', '\uFEFFab', 'ab\u2060', 'a\u202Eb', 'a\u2067b', 'a\u200Eb', 'a\u00A0b', 'a\u3000b', 'a\u0085b', ' ab', 'ab ', 'a\uD800b', 'ab\uDFFF']) {
      const label = JSON.stringify(username)
      const created = await createRespondent({ username, password: PASSWORD })
      expect(created.status, label).toBe(400)
      expect(Object.keys(created.body.errors), label).toEqual(['username'])
      const login = await request('/api/auth/login/alias', { method: 'POST', body: { survey: 'names', username, password: PASSWORD } })
      expect(login.status, label).toBe(400)
      expect(Object.keys(login.body.errors), label).toEqual(['username'])
    }
    expect(await respondentCount()).toBe(before)
  })
})
