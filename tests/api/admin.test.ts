import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { asc, eq } from 'drizzle-orm'
import { ADMIN_SCOPES, createAccessToken, revokeAccessToken } from '#server/services/access-tokens'
import { runCli } from '../support/cli'
import { accessTokenSecret } from '../support/tokens'
import { request, useTestServer } from '../support/server'
import { schema } from '../support/engine'

const { auditLog, personalAccessTokens } = schema

const ORIGIN = 'https://survey.example.org'
const server = await useTestServer({ NUXT_PUBLIC_ORIGIN: ORIGIN })
const SECRET = 'admin-partner-secret-0123456789-abcdefghij'
let full: string, readOnly: string, revoked: string, expired: string

beforeAll(async () => {
  const db = server.db()
  full = (await createAccessToken(db, { name: 'full', scopes: [...ADMIN_SCOPES] })).token
  readOnly = (await createAccessToken(db, { name: 'reader', scopes: ['surveys:read', 'respondents:read'] })).token
  const toRevoke = await createAccessToken(db, { name: 'revoked', scopes: [...ADMIN_SCOPES] })
  await revokeAccessToken(db, toRevoke.id)
  revoked = toRevoke.token
  const toExpire = await createAccessToken(db, { name: 'expired', scopes: [...ADMIN_SCOPES], expiresInDays: 1 })
  await db.update(personalAccessTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(personalAccessTokens.id, toExpire.id))
  expired = toExpire.token
})

/** The audit log, oldest first. */
const auditRows = () => server.db().select().from(auditLog).orderBy(asc(auditLog.id))

const as = (token: string | undefined) => (path: string, init: { method?: string, body?: unknown } = {}) =>
  request(`/api/admin${path}`, { ...init, headers: token ? { authorization: `Bearer ${token}` } : {} })
const survey = { slug: 'Admin-Study', name: 'Admin study', supportEmail: 'study@example.org', state: 'active', allowGenUsers: true, genUserKey: SECRET, userPersonalIdentifiers: true, userCustomFields: true }

describe('personal access tokens', () => {
  it('401 without a token, with a malformed, unknown, revoked or expired one — for every admin route', async () => {
    const routes: [string, string][] = [
      ['GET', '/surveys'], ['POST', '/surveys'], ['GET', '/surveys/x'], ['PATCH', '/surveys/x'], ['DELETE', '/surveys/x'],
      ['GET', '/surveys/x/respondents'], ['POST', '/surveys/x/respondents'], ['GET', '/surveys/x/respondents/auth-links.csv'],
      ['GET', '/surveys/x/respondents/1'], ['PATCH', '/surveys/x/respondents/1'], ['POST', '/surveys/x/respondents/1/auth-token'],
      ['GET', '/deliveries'], ['POST', '/deliveries/msg_x/resend'],
    ]
    // The last character changed to another one, whatever it was.
    const tampered = `${full.slice(0, -1)}${full.endsWith('A') ? 'B' : 'A'}`
    for (const [method, path] of routes) {
      for (const token of [undefined, 'garbage', 'rgpat_999_0123456789012345678901234567890123456789012', tampered, revoked, expired]) {
        const response = await as(token)(path, { method, body: method === 'GET' || method === 'DELETE' ? undefined : {} })
        expect(response.status, `${method} ${path} with ${token?.slice(0, 12)}`).toBe(401)
        expect(response.body).toMatchObject({ statusCode: 401, message: expect.any(String) })
      }
    }
  })

  it('403 naming the missing scope, on every admin route', async () => {
    const routes: [string, string, string][] = [
      ['GET', '/surveys', 'surveys:read'], ['POST', '/surveys', 'surveys:write'], ['GET', '/surveys/x', 'surveys:read'], ['PATCH', '/surveys/x', 'surveys:write'], ['DELETE', '/surveys/x', 'surveys:write'],
      ['GET', '/surveys/x/respondents', 'respondents:read'], ['POST', '/surveys/x/respondents', 'respondents:write'], ['GET', '/surveys/x/respondents/auth-links.csv', 'respondents:read'],
      ['GET', '/surveys/x/respondents/1', 'respondents:read'], ['PATCH', '/surveys/x/respondents/1', 'respondents:write'], ['POST', '/surveys/x/respondents/1/auth-token', 'respondents:write'],
      ['GET', '/deliveries', 'deliveries:read'], ['POST', '/deliveries/msg_x/resend', 'deliveries:write'],
    ]
    for (const [method, path, scope] of routes) {
      const others = (await createAccessToken(server.db(), { name: `all-but-${scope}`, scopes: ADMIN_SCOPES.filter(s => s !== scope) })).token
      const response = await as(others)(path, { method, body: method === 'GET' || method === 'DELETE' ? undefined : {} })
      expect(response.status, `${method} ${path}`).toBe(403)
      expect(response.body.message).toContain(scope)
    }
  })

  it('403 naming the missing scope', async () => {
    const response = await as(readOnly)('/surveys', { method: 'POST', body: survey })
    expect(response.status).toBe(403)
    expect(response.body.message).toContain('surveys:write')
    expect((await as(readOnly)('/deliveries')).body.message).toContain('deliveries:read')
  })

  it('records when a token was last used; the CLI lists tokens without secrets', async () => {
    await as(readOnly)('/surveys')
    const [row] = await server.db().select().from(personalAccessTokens).where(eq(personalAccessTokens.name, 'reader'))
    if (!row) throw new Error('no token named reader')
    expect(row.lastUsedAt).toBeInstanceOf(Date)
    expect(row.secretHash).not.toContain(accessTokenSecret(readOnly))
    const listed = runCli(['tokens:list'], server.databasePath)
    expect(listed.stdout).toContain('reader')
    expect(listed.stdout).not.toContain(accessTokenSecret(readOnly))
  })
})

describe('surveys', () => {
  it('creates a survey (201), never returning the secret; a taken slug is 409; bad input is 400 per field', async () => {
    const created = await as(full)('/surveys', { method: 'POST', body: { ...survey, notifications: [{ type: 'survey.session.submitted', url: 'https://partner.example.org/hook' }] } })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ slug: 'Admin-Study', genUserKeySet: true, webhookSecretSet: true, generatedWebhookSecret: expect.stringMatching(/^whsec_/) })
    expect(JSON.stringify(created.body)).not.toContain(SECRET)
    expect(created.body).not.toHaveProperty('genUserKey')

    const taken = await as(full)('/surveys', { method: 'POST', body: { ...survey, slug: 'admin-study' } })
    expect(taken.status).toBe(409)
    expect(taken.body.errors).toHaveProperty('slug')

    const bad = await as(full)('/surveys', { method: 'POST', body: { slug: 'bad slug', name: '', genUserKey: 'short', state: 'open', notifications: [{ type: 'survey.session.started', url: 'http://127.0.0.1/x' }] } })
    expect(bad.status).toBe(400)
    expect(bad.body.errors).toHaveProperty('slug')
    const bad2 = await as(full)('/surveys', { method: 'POST', body: { slug: 'good-slug', name: 'x', supportEmail: 'x@example.org', genUserKey: 'short', state: 'open', notifications: [{ type: 'survey.session.started', url: 'http://127.0.0.1/x' }] } })
    expect(Object.keys(bad2.body.errors).sort()).toEqual(['genUserKey', 'state'])
    const privateHook = await as(full)('/surveys', { method: 'POST', body: { slug: 'hooky', name: 'x', supportEmail: 'x@example.org', notifications: [{ type: 'survey.session.started', url: 'http://127.0.0.1/x' }] } })
    expect(privateHook.body.errors).toHaveProperty('notifications.0.url')
    expect((await as(full)('/surveys', { method: 'POST', body: { slug: 'docs', name: 'x', supportEmail: 'x@example.org' } })).body.errors).toHaveProperty('slug')
  })

  it('lists, reads and updates only the fields given', async () => {
    expect((await request('/api/surveys/admin-study')).body.name).toBe('Admin study')
    expect((await as(readOnly)('/surveys')).body.map((s: { slug: string }) => s.slug)).toContain('Admin-Study')
    const updated = await as(full)('/surveys/admin-study', { method: 'PATCH', body: { name: 'Admin study (renamed)', maximumDailySubmissions: 5 } })
    expect(updated.status).toBe(200)
    expect(updated.body).toMatchObject({ name: 'Admin study (renamed)', maximumDailySubmissions: 5, supportEmail: 'study@example.org', genUserKeySet: true })
    expect((await as(full)('/surveys/admin-study', { method: 'PATCH', body: { maximumDailySubmissions: 'many' } })).status).toBe(400)
    expect((await as(readOnly)('/surveys/ADMIN-STUDY')).body.name).toBe('Admin study (renamed)')
    // The public entry (cached by the server) follows a change made through the server at once.
    expect((await request('/api/surveys/admin-study')).body.name).toBe('Admin study (renamed)')
    expect((await as(readOnly)('/surveys/nope')).status).toBe(404)
  })
})

describe('respondents', () => {
  let userId: string
  let authToken: string

  it('creates a respondent (201 with the auth token); a duplicate username is 409 with errors.username', async () => {
    const created = await as(full)('/surveys/admin-study/respondents', { method: 'POST', body: { username: 'r-001', password: 'Strong-pass1', name: 'Rita', customFields: [{ name: 'site', value: 'Leeds', public: true }] } })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ userId: expect.any(String), username: 'r-001', name: 'Rita', hasPassword: true, disabled: false, authToken: expect.any(String) })
    userId = created.body.userId
    authToken = created.body.authToken
    const duplicate = await as(full)('/surveys/admin-study/respondents', { method: 'POST', body: { username: 'r-001' } })
    expect(duplicate.status).toBe(409)
    expect(duplicate.body.errors).toHaveProperty('username')
    const invalid = await as(full)('/surveys/admin-study/respondents', { method: 'POST', body: { username: '', password: 'weak', extra: 1 } })
    expect(invalid.status).toBe(400)
    expect(Object.keys(invalid.body.errors).sort()).toEqual(['extra', 'password', 'username'])
  })

  it('lists a page at a time and filters by username as plain text', async () => {
    for (const username of ['r-002', 'r_003', 'x%y']) await as(full)('/surveys/admin-study/respondents', { method: 'POST', body: { username } })
    const page = await as(readOnly)('/surveys/admin-study/respondents?limit=2&page=2')
    expect(page.body).toMatchObject({ page: 2, limit: 2, total: 4 })
    expect(page.body.items.map((r: { username: string }) => r.username)).toEqual(['r_003', 'x%y'])
    expect((await as(readOnly)('/surveys/admin-study/respondents?username=_')).body.items.map((r: { username: string }) => r.username)).toEqual(['r_003'])
    expect((await as(readOnly)('/surveys/admin-study/respondents?username=%25')).body.items.map((r: { username: string }) => r.username)).toEqual(['x%y'])
    expect((await as(readOnly)('/surveys/admin-study/respondents?limit=100000')).status).toBe(400)
    expect(JSON.stringify(page.body)).not.toContain(authToken)
  })

  it('disables and enables an account; rotating the auth token ends the old link', async () => {
    const login = () => request('/api/auth/login/token', { method: 'POST', body: { token: authToken } })
    expect((await login()).status).toBe(200)
    expect((await as(full)(`/surveys/admin-study/respondents/${userId}`, { method: 'PATCH', body: { disabled: true } })).body.disabled).toBe(true)
    expect((await login()).status).toBe(401)
    expect((await as(full)(`/surveys/admin-study/respondents/${userId}`, { method: 'PATCH', body: { disabled: false, name: 'Rita B.' } })).body).toMatchObject({ disabled: false, name: 'Rita B.' })
    expect((await login()).status).toBe(200)
    const rotated = await as(full)(`/surveys/admin-study/respondents/${userId}/auth-token`, { method: 'POST' })
    expect(rotated.body.authToken).not.toBe(authToken)
    expect((await login()).status).toBe(401)
    authToken = rotated.body.authToken
    expect((await as(full)('/surveys/admin-study/respondents/99999', { method: 'PATCH', body: { name: 'x' } })).status).toBe(404)
    expect((await as(full)('/surveys/admin-study/respondents/abc')).status).toBe(400)
  })

  it('exports the sign-in links as CSV with the documented columns', async () => {
    const csv = await as(readOnly)('/surveys/admin-study/respondents/auth-links.csv')
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toContain('text/csv')
    const lines = String(csv.body).trim().split('\r\n')
    expect(lines[0]).toBe('userId,username,authToken,shortLink,surveyLink,feedbackLink')
    expect(lines[1]).toBe(`${userId},r-001,${authToken},${ORIGIN}/a/${authToken},${ORIGIN}/Admin-Study?auth=${authToken},${ORIGIN}/Admin-Study/feedback?auth=${authToken}`)
    expect(lines).toHaveLength(5)

    await as(full)('/surveys/admin-study', { method: 'PATCH', body: { authUrlDomainOverride: 'https://go.example.net' } })
    const overridden = await as(readOnly)('/surveys/admin-study/respondents/auth-links.csv')
    expect(String(overridden.body)).toContain(`https://go.example.net/a/${authToken}`)

    const cli = runCli(['respondents:export', 'admin-study'], server.databasePath)
    expect(cli.status).toBe(0)
    expect(cli.stdout).toBe(overridden.body)
    const file = join(mkdtempSync(join(tmpdir(), 'gateway-export-')), 'links.csv')
    expect(runCli(['respondents:export', 'admin-study', '--out', file], server.databasePath).stdout).toContain('4 respondent(s)')
    expect(readFileSync(file, 'utf8')).toBe(overridden.body)
  })

  it('audits every download of the sign-in links, naming the token, never with a token in the row', async () => {
    const before = (await auditRows()).length
    expect((await as(readOnly)('/surveys/admin-study/respondents/auth-links.csv')).status).toBe(200)
    const rows = (await auditRows()).slice(before)
    expect(rows).toEqual([expect.objectContaining({ action: 'respondent.export-auth-links', target: 'Admin-Study', actor: expect.stringMatching(/^token:\d+:reader$/), tokenId: expect.any(Number), details: { respondents: 4 } })])
    expect(JSON.stringify(rows)).not.toContain(authToken)
  })

  it('refuses to delete a survey with respondents unless forced, and audits every change', async () => {
    const refused = await as(full)('/surveys/admin-study', { method: 'DELETE' })
    expect(refused.status).toBe(409)
    expect((await as(full)('/surveys/admin-study?force=false', { method: 'DELETE' })).status).toBe(409)
    for (const query of ['force=yes', 'force=TRUE', 'force=1', 'force=', 'force', 'force=true&force=true']) {
      const invalid = await as(full)(`/surveys/admin-study?${query}`, { method: 'DELETE' })
      expect(invalid.status, query).toBe(400)
      expect(invalid.body, query).toEqual({ statusCode: 400, message: 'The query is not valid.', errors: { force: { msg: 'force must be true or false' } } })
    }
    expect((await as(full)('/surveys/admin-study')).status).toBe(200)
    const deleted = await as(full)('/surveys/admin-study?force=true', { method: 'DELETE' })
    expect(deleted.body).toEqual({ deleted: 'Admin-Study', respondentsRemoved: 4 })
    expect((await as(full)('/surveys/admin-study')).status).toBe(404)
    const actions = (await auditRows()).map(row => row.action)
    expect(actions).toEqual(expect.arrayContaining(['survey.create', 'survey.update', 'respondent.create', 'respondent.disable', 'respondent.enable', 'respondent.rotate-auth-token', 'survey.delete']))
    const logged = JSON.stringify(await auditRows())
    expect(logged).not.toContain(SECRET)
    expect(logged).not.toContain('Strong-pass1')
    const cli = runCli(['audit:list', '--limit', '100'], server.databasePath)
    expect(cli.status).toBe(0)
    expect(cli.stdout).toContain('respondent.rotate-auth-token')
    expect(cli.stdout).toContain('token:')
  })
})

describe('admin rate limit', () => {
  it('limits requests per token', async () => {
    await server.restart({ NUXT_ADMIN_RATE_LIMIT_MAX: '3' })
    const token = (await createAccessToken(server.db(), { name: 'busy', scopes: ['surveys:read'] })).token
    const statuses = []
    for (let i = 0; i < 5; i++) statuses.push((await as(token)('/surveys')).status)
    expect(statuses).toEqual([200, 200, 200, 429, 429])
    const other = (await createAccessToken(server.db(), { name: 'calm', scopes: ['surveys:read'] })).token
    expect((await as(other)('/surveys')).status).toBe(200)
  })
})
