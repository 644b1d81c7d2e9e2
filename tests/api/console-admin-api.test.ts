import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tables } from '#server/database'
import { ADMIN_SCOPES, createAccessToken } from '#server/services/access-tokens'
import { createAdminAccount } from '#server/services/admin-accounts'
import { upsertSurveys } from '#server/services/surveys'
import { standardWebhookSignature } from '#server/services/webhooks'
import { consoleTab, enrolTotp, type ConsoleTab } from '../support/console'
import { signPartnerToken } from '../support/jwt'
import { request, useTestServer } from '../support/server'
import { accessTokenSecret } from '../support/tokens'
import { startWebhookReceiver, waitFor } from '../support/webhook-receiver'

// The admin API the console's pages use (issue 16): secrets, test events, the completion preview,
// delivery filters, owners' accounts and tokens, the audit log; each as owner, staff and token.
const ORIGIN = 'https://console.example.org'
const receiver = await startWebhookReceiver()
afterAll(() => receiver.stop())
const server = await useTestServer({
  NUXT_PUBLIC_ORIGIN: ORIGIN,
  NUXT_WEBHOOKS_ALLOW_PRIVATE: 'true',
  NUXT_WEBHOOKS_POLL_MS: '100',
  NUXT_WEBHOOKS_RETRY_SCALE: '0.01',
  NUXT_WEBHOOKS_TIMEOUT_SECONDS: '2',
})

const OWNER = { email: 'owner@example.org', password: 'the owner\'s passphrase' }
const STAFF = { email: 'staff@example.org', password: 'the staff passphrase' }
const notFound = { statusCode: 404, message: 'Survey not found.' }
let owner: ConsoleTab
let staff: ConsoleTab
let fullToken: string
let alphaToken: string
let readOnlyToken: string
/** Every secret an answer showed once: none may appear in any later answer or audit row. */
const shownOnce: string[] = []

beforeAll(async () => {
  const db = server.db()
  await upsertSurveys(db, [
    {
      slug: 'alpha',
      name: 'Alpha',
      supportEmail: 'team@example.org',
      state: 'active',
      allowGenUsers: true,
      notifications: [
        { type: 'survey.respondent.created', url: `${receiver.origin}/alpha` },
        { type: 'survey.session.submitted', url: `${receiver.origin}/alpha` },
        { type: 'survey.session.started', url: `${receiver.origin}/alpha-started` },
      ],
      scheme: { redirect: { url: 'https://partner.example.org/done?who={identifier}', identifier: 'username' } },
    },
    { slug: 'beta', name: 'Beta', supportEmail: 'team@example.org', state: 'active' },
  ], { allowPrivateWebhooks: true })
  await createAdminAccount(db, { email: OWNER.email, name: 'Olive Owner', role: 'owner' }, { password: OWNER.password })
  await createAdminAccount(db, { email: STAFF.email, name: 'Sam Staff', role: 'staff', surveys: ['alpha'] }, { password: STAFF.password })
  owner = consoleTab(ORIGIN)
  expect((await owner.signIn(OWNER)).body.stage).toBe('enrol')
  expect((await enrolTotp(owner)).status).toBe(200)
  staff = consoleTab(ORIGIN)
  expect((await staff.signIn(STAFF)).body.stage).toBe('active')
  fullToken = (await createAccessToken(db, { name: 'full', scopes: [...ADMIN_SCOPES] })).token
  alphaToken = (await createAccessToken(db, { name: 'alpha team', scopes: [...ADMIN_SCOPES], surveys: ['alpha'] })).token
  readOnlyToken = (await createAccessToken(db, { name: 'reader', scopes: ['surveys:read'] })).token
})

const withToken = (token: string) => (path: string, init: { method?: string, body?: unknown } = {}) =>
  request(path, { ...init, headers: { authorization: `Bearer ${token}` } })
const anonymous = (path: string, init: { method?: string, body?: unknown } = {}) => request(path, { ...init, headers: { origin: ORIGIN } })
const countRows = async (table: 'adminAccounts' | 'personalAccessTokens' | 'auditLog') => (await server.db().select().from(tables(server.db())[table])).length

describe('GET /api/admin/session', () => {
  it('names the signed-in account with its role, surveys and two-factor state, and the CSRF token', async () => {
    const ownerSession = await owner.send('/api/admin/session')
    expect(ownerSession.status).toBe(200)
    expect(ownerSession.body).toMatchObject({
      stage: 'active',
      csrfToken: owner.csrf,
      account: { id: expect.any(Number), email: OWNER.email, name: 'Olive Owner', role: 'owner', surveys: null, mfaEnabled: true },
    })
    const staffSession = await staff.send('/api/admin/session')
    expect(staffSession.body).toMatchObject({ stage: 'active', account: { role: 'staff', surveys: ['alpha'], mfaEnabled: false } })
    expect(staffSession.body.csrfToken).toBe(staff.csrf)
    expect(staffSession.body.csrfToken).not.toBe(owner.csrf)
    expect((await anonymous('/api/admin/session')).status).toBe(401)
  })
})

/** Each new survey route with the scope it needs and a body it accepts. */
const surveyRoutes = (slug: string): [method: string, path: string, scope: string, body?: unknown][] => [
  ['POST', `/api/admin/surveys/${slug}/secrets`, 'surveys:write', { kind: 'webhook' }],
  ['POST', `/api/admin/surveys/${slug}/notifications/test`, 'deliveries:write'],
  ['GET', `/api/admin/surveys/${slug}/completion-preview?username=sample`, 'surveys:read'],
  ['GET', `/api/admin/deliveries?survey=${slug}&event=webhook.test`, 'deliveries:read'],
  ['GET', `/api/admin/audit?survey=${slug}`, 'audit:read'],
]

describe('who may call the survey routes', () => {
  it('401 without credentials, 403 for a token without the scope, 404 outside a limited token\'s or staff account\'s surveys', async () => {
    for (const [method, path, scope, body] of surveyRoutes('beta')) {
      expect((await anonymous(path, { method, body })).status, path).toBe(401)
      expect((await withToken('rgpat_1_not-a-token')(path, { method, body })).status, path).toBe(401)
      if (scope !== 'surveys:read') {
        const lacking = await withToken(readOnlyToken)(path, { method, body })
        expect(lacking.status, path).toBe(403)
        expect(lacking.body.errors.scope, path).toEqual({ msg: `requires ${scope}` })
      }
      const outside = await withToken(alphaToken)(path, { method, body })
      expect([path, outside.status, outside.body]).toEqual([path, 404, notFound])
      const staffOutside = await staff.send(path, { method, body })
      expect([path, staffOutside.status, staffOutside.body]).toEqual([path, 404, notFound])
      const missing = await owner.send(path.replace('beta', 'no-such-survey'), { method, body })
      if (!path.startsWith('/api/admin/audit')) expect([path, missing.status, missing.body]).toEqual([path, 404, notFound])
    }
  })

  it('a console request that changes something needs the CSRF token and the app\'s origin', async () => {
    const [, path, , body] = surveyRoutes('alpha')[0]!
    const noCsrf = await request(path, { method: 'POST', body, headers: { origin: ORIGIN, cookie: owner.cookie } })
    expect(noCsrf.status).toBe(403)
    const foreign = await request(path, { method: 'POST', body, headers: { 'origin': 'https://evil.example', 'cookie': owner.cookie, 'x-csrf-token': owner.csrf } })
    expect(foreign.status).toBe(403)
    expect(JSON.stringify([noCsrf.body, foreign.body])).not.toContain('secret"')
  })
})

describe('POST /api/admin/surveys/{slug}/secrets', () => {
  it('a new JWT secret: 43 base64url characters, shown once, never in a GET, and partners must sign with it', async () => {
    const first = await staff.send('/api/admin/surveys/alpha/secrets', { method: 'POST', body: { kind: 'jwt' } })
    expect(first.status).toBe(200)
    expect(first.body).toEqual({ kind: 'jwt', secret: expect.stringMatching(/^[\w-]{43}$/) })
    expect(first.headers.get('cache-control')).toBe('no-store')
    const second = await withToken(fullToken)('/api/admin/surveys/alpha/secrets', { method: 'POST', body: { kind: 'jwt' } })
    expect(second.body.secret).toMatch(/^[\w-]{43}$/)
    expect(second.body.secret).not.toBe(first.body.secret)
    shownOnce.push(first.body.secret, second.body.secret)

    const view = await owner.send('/api/admin/surveys/alpha')
    expect(view.body.genUserKeySet).toBe(true)
    const list = await owner.send('/api/admin/surveys')
    for (const answer of [view, list]) {
      for (const secret of shownOnce) expect(JSON.stringify(answer.body)).not.toContain(secret)
    }
    const createUser = async (secret: string) => request('/api/surveys/alpha/create-user', {
      method: 'POST', body: { token: await signPartnerToken(secret, { username: 'signed-with-new-key' }) },
    })
    expect((await createUser(first.body.secret)).status).toBe(403)
    expect((await createUser(second.body.secret)).status).toBe(200)
  })

  it('a new webhook secret: whsec_ and the base64 of 32 random bytes', async () => {
    const answer = await owner.send('/api/admin/surveys/alpha/secrets', { method: 'POST', body: { kind: 'webhook' } })
    expect(answer.status).toBe(200)
    expect(answer.body.kind).toBe('webhook')
    expect(answer.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(Buffer.from(answer.body.secret.slice('whsec_'.length), 'base64')).toHaveLength(32)
    shownOnce.push(answer.body.secret)
    expect((await owner.send('/api/admin/surveys/alpha')).body.webhookSecretSet).toBe(true)
  })

  it('is audited without the secret', async () => {
    const audit = await owner.send('/api/admin/audit?survey=alpha&limit=500')
    const rotations = audit.body.entries.filter((entry: { action: string }) => entry.action === 'survey.rotate-secret')
    expect(rotations.map((entry: { details: unknown }) => entry.details)).toEqual([{ kind: 'webhook' }, { kind: 'jwt' }, { kind: 'jwt' }])
    expect(rotations.map((entry: { actor: string }) => entry.actor)).toEqual([
      expect.stringMatching(/^admin:\d+:owner@example\.org$/),
      expect.stringMatching(/^token:\d+:full$/),
      expect.stringMatching(/^admin:\d+:staff@example\.org$/),
    ])
    const rows = JSON.stringify(await server.db().select().from(tables(server.db()).auditLog))
    for (const secret of shownOnce) expect(rows).not.toContain(secret)
  })

  it('400 with errors.kind for anything but jwt or webhook; nothing changes', async () => {
    const before = await countRows('auditLog')
    for (const body of [{ kind: 'rsa' }, {}, { kind: 'jwt', secret: 'mine' }, { kind: null }]) {
      const refused = await owner.send('/api/admin/surveys/alpha/secrets', { method: 'POST', body })
      expect(refused.status, JSON.stringify(body)).toBe(400)
      expect(Object.keys(refused.body.errors), JSON.stringify(body)).toEqual([Object.keys(body).includes('secret') ? 'secret' : 'kind'])
    }
    expect(await countRows('auditLog')).toBe(before)
  })
})

describe('GET /api/admin/surveys/{slug}/completion-preview', () => {
  it('the URL the redirect scheme gives a sample respondent, or a real one with their own redirect', async () => {
    const sample = await staff.send('/api/admin/surveys/alpha/completion-preview?username=sample')
    expect(sample).toMatchObject({ status: 200, body: { url: 'https://partner.example.org/done?who=sample' } })
    const byDefault = await withToken(readOnlyToken)('/api/admin/surveys/alpha/completion-preview')
    expect(byDefault.body).toEqual({ url: 'https://partner.example.org/done?who=sample' })
    const encoded = await owner.send(`/api/admin/surveys/alpha/completion-preview?username=${encodeURIComponent('Zoë & co')}`)
    expect(encoded.body.url).toBe(`https://partner.example.org/done?who=${encodeURIComponent('Zoë & co')}`)

    const own = await owner.send('/api/admin/surveys/alpha/respondents', {
      method: 'POST', body: { username: 'carol', redirectUrl: 'https://partner.example.org/own/{identifier}' },
    })
    expect(own.status).toBe(201)
    expect((await owner.send('/api/admin/surveys/alpha/completion-preview?username=carol')).body).toEqual({ url: 'https://partner.example.org/own/carol' })
  })

  it('never shows a respondent\'s auth token, and null when the survey has no redirect', async () => {
    expect((await owner.send('/api/admin/surveys/beta/completion-preview')).body).toEqual({ url: null })
    const scheme = { redirect: { url: 'https://partner.example.org/b?t={identifier}', identifier: 'authToken' } }
    expect((await owner.send('/api/admin/surveys/beta', { method: 'PATCH', body: { scheme } })).status).toBe(200)
    const dave = await owner.send('/api/admin/surveys/beta/respondents', { method: 'POST', body: { username: 'dave' } })
    const preview = await owner.send('/api/admin/surveys/beta/completion-preview?username=dave')
    expect(preview.body).toEqual({ url: 'https://partner.example.org/b?t=AUTH-TOKEN' })
    expect(JSON.stringify(preview.body)).not.toContain(dave.body.authToken)
  })

  it('400 with errors.username for a username no respondent could have', async () => {
    for (const username of ['', 'a\u0000b', 'x'.repeat(300)]) {
      const refused = await owner.send(`/api/admin/surveys/alpha/completion-preview?username=${encodeURIComponent(username)}`)
      expect(refused.status, username).toBe(400)
      expect(Object.keys(refused.body.errors), username).toEqual(['username'])
    }
  })
})

describe('POST /api/admin/surveys/{slug}/notifications/test', () => {
  it('queues one signed webhook.test delivery per target URL, which arrives at the receiver and is listed with its attempt', async () => {
    const secret = (await owner.send('/api/admin/surveys/alpha/secrets', { method: 'POST', body: { kind: 'webhook' } })).body.secret as string
    shownOnce.push(secret)
    const queued = await staff.send('/api/admin/surveys/alpha/notifications/test', { method: 'POST' })
    expect(queued.status).toBe(202)
    const deliveries = queued.body.deliveries as { id: string, url: string }[]
    expect(deliveries.map(delivery => delivery.url).sort()).toEqual([`${receiver.origin}/alpha`, `${receiver.origin}/alpha-started`])

    for (const delivery of deliveries) {
      const arrived = await waitFor(() => receiver.received.find(hook => hook.headers['webhook-id'] === delivery.id), 15_000, `test event ${delivery.id}`)
      expect(arrived.path).toBe(new URL(delivery.url).pathname)
      expect(arrived.json).toMatchObject({ type: 'webhook.test', survey: 'alpha' })
      const timestamp = Number(arrived.headers['webhook-timestamp'])
      expect(arrived.headers['webhook-signature']).toBe(standardWebhookSignature(secret, delivery.id, timestamp, arrived.body))
      expect(arrived.headers['webhook-signature']).not.toBe(standardWebhookSignature(shownOnce[2]!, delivery.id, timestamp, arrived.body))
      expect(arrived.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/)
    }
    await expect.poll(async () => {
      const answer = await staff.send('/api/admin/deliveries?survey=alpha&event=webhook.test')
      return answer.body.map((delivery: { status: string }) => delivery.status)
    }).toEqual(['delivered', 'delivered'])
    const answer = await staff.send('/api/admin/deliveries?survey=alpha&event=webhook.test')
    for (const delivery of answer.body) {
      expect(delivery.type).toBe('webhook.test')
      expect(delivery.attemptLog).toEqual([{ at: expect.any(String), statusCode: 200, durationMs: expect.any(Number), error: null, response: 'ok' }])
    }
    const audit = await owner.send('/api/admin/audit?survey=alpha&actor=staff@')
    expect(audit.body.entries[0]).toMatchObject({ action: 'survey.test-notifications', survey: 'alpha', details: { deliveries: expect.arrayContaining(deliveries.map(d => d.id)) } })
  })

  it('a receiver that refuses the test: the delivery is failed, with the attempt\'s status code and error', async () => {
    // Nothing else on its way to the receiver, so the two refusals go to the test event's deliveries.
    await expect.poll(async () => (await owner.send('/api/admin/deliveries?status=pending')).body.length).toBe(0)
    receiver.answer({ status: 410, body: 'gone' }, { status: 410, body: 'gone' })
    const queued = await owner.send('/api/admin/surveys/alpha/notifications/test', { method: 'POST' })
    expect(queued.status).toBe(202)
    const ids = (queued.body.deliveries as { id: string }[]).map(delivery => delivery.id).sort()
    await expect.poll(async () => {
      const failed = await owner.send('/api/admin/deliveries?status=failed&event=webhook.test')
      return failed.body.map((delivery: { id: string }) => delivery.id).sort()
    }).toEqual(ids)
    const failed = await owner.send('/api/admin/deliveries?status=failed&event=webhook.test')
    for (const delivery of failed.body) {
      expect(delivery).toMatchObject({ status: 'failed', lastError: 'HTTP 410' })
      expect(delivery.attemptLog).toEqual([expect.objectContaining({ statusCode: 410, error: null, response: 'gone' })])
    }
  })

  it('400 with errors.notifications when the survey has no target; nothing is queued', async () => {
    const before = (await owner.send('/api/admin/deliveries?survey=beta')).body.length
    const refused = await owner.send('/api/admin/surveys/beta/notifications/test', { method: 'POST' })
    expect(refused.status).toBe(400)
    expect(Object.keys(refused.body.errors)).toEqual(['notifications'])
    expect((await owner.send('/api/admin/deliveries?survey=beta')).body).toHaveLength(before)
  })
})

describe('GET /api/admin/deliveries filters', () => {
  it('by event, status and survey, each alone and together; a limited caller sees its surveys only', async () => {
    await waitFor(async () => (await owner.send('/api/admin/deliveries?event=survey.respondent.created&status=delivered')).body.length >= 1, 15_000, 'the respondent.created delivery')
    const created = await owner.send('/api/admin/deliveries?event=survey.respondent.created')
    expect(created.body.length).toBeGreaterThan(0)
    expect(created.body.every((delivery: { type: string }) => delivery.type === 'survey.respondent.created')).toBe(true)
    const all = (await owner.send('/api/admin/deliveries')).body as { type: string, status: string, survey: string }[]
    expect(new Set(all.map(delivery => delivery.type))).toEqual(new Set(['webhook.test', 'survey.respondent.created']))
    const delivered = await withToken(fullToken)('/api/admin/deliveries?status=delivered&event=webhook.test&survey=ALPHA')
    expect(delivered.body.length).toBe(all.filter(d => d.status === 'delivered' && d.type === 'webhook.test').length)
    const limited = await withToken(alphaToken)('/api/admin/deliveries')
    expect(limited.body.length).toBe(all.length)
    expect(limited.body.every((delivery: { survey: string }) => delivery.survey === 'alpha')).toBe(true)
  })

  it('400 naming the filter that is not valid', async () => {
    for (const [query, field] of [['event=survey.nothing', 'event'], ['status=lost', 'status'], ['limit=0', 'limit']]) {
      const refused = await owner.send(`/api/admin/deliveries?${query}`)
      expect(refused.status, query).toBe(400)
      expect(Object.keys(refused.body.errors), query).toEqual([field])
    }
  })
})

/** The owners-only routes, with a body each accepts. */
const ownerRoutes = (accountId: number, tokenId: number): [method: string, path: string, body?: unknown][] => [
  ['GET', '/api/admin/accounts'],
  ['POST', '/api/admin/accounts', { email: 'sneaky@example.org', name: 'Sneaky', role: 'owner' }],
  ['PATCH', `/api/admin/accounts/${accountId}`, { role: 'owner' }],
  ['POST', `/api/admin/accounts/${accountId}/password-link`],
  ['GET', '/api/admin/tokens'],
  ['POST', '/api/admin/tokens', { name: 'sneaky', scopes: ['surveys:write'] }],
  ['DELETE', `/api/admin/tokens/${tokenId}`],
]

describe('accounts and tokens are for owners only', () => {
  it('401 without credentials; 403 for any token and for a staff account, and nothing changes', async () => {
    const staffId = (await staff.send('/api/admin/session')).body.account.id as number
    const tokenId = Number(/^rgpat_(\d+)_/.exec(fullToken)![1])
    const before = [await countRows('adminAccounts'), await countRows('personalAccessTokens'), await countRows('auditLog')]
    for (const [method, path, body] of ownerRoutes(staffId, tokenId)) {
      expect((await anonymous(path, { method, body })).status, path).toBe(401)
      const asToken = await withToken(fullToken)(path, { method, body })
      expect(asToken.status, path).toBe(403)
      expect(asToken.body.message, path).toMatch(/owner/)
      expect((await staff.send(path, { method, body })).status, path).toBe(403)
    }
    expect([await countRows('adminAccounts'), await countRows('personalAccessTokens'), await countRows('auditLog')]).toEqual(before)
    expect((await withToken(fullToken)('/api/admin/surveys')).status).toBe(200)
    expect((await staff.send('/api/admin/session')).body.account).toMatchObject({ role: 'staff', surveys: ['alpha'] })
  })
})

describe('/api/admin/tokens', () => {
  let created: { id: number, token: string }

  it('creates a token limited to surveys, with an expiry; the token is shown once and works with its scopes', async () => {
    const answer = await owner.send('/api/admin/tokens', {
      method: 'POST', body: { name: 'portal', scopes: ['surveys:read', 'audit:read', 'surveys:read'], surveys: ['ALPHA'], expiresInDays: 30 },
    })
    expect(answer.status).toBe(201)
    expect(answer.body).toEqual({
      id: expect.any(Number), name: 'portal', scopes: ['surveys:read', 'audit:read'], surveys: ['alpha'],
      createdAt: expect.any(String), expiresAt: expect.any(String), revokedAt: null, lastUsedAt: null, token: expect.stringMatching(/^rgpat_\d+_[\w-]{43}$/),
    })
    const days = (Date.parse(answer.body.expiresAt) - Date.parse(answer.body.createdAt)) / 86_400_000
    expect(days).toBe(30)
    created = answer.body
    shownOnce.push(accessTokenSecret(created.token))

    const surveys = await withToken(created.token)('/api/admin/surveys')
    expect(surveys.body.map((survey: { slug: string }) => survey.slug)).toEqual(['alpha'])
    expect((await withToken(created.token)('/api/admin/surveys/beta')).status).toBe(404)
    expect((await withToken(created.token)('/api/admin/surveys/alpha', { method: 'PATCH', body: { name: 'No' } })).status).toBe(403)

    const listed = await owner.send('/api/admin/tokens')
    expect(listed.status).toBe(200)
    const entry = listed.body.tokens.find((token: { id: number }) => token.id === created.id)
    expect(entry).toMatchObject({ name: 'portal', surveys: ['alpha'], revokedAt: null, lastUsedAt: expect.any(String) })
    expect(entry.token).toBeUndefined()
    const tokenIds = listed.body.tokens.map((token: { id: number }) => token.id) as number[]
    expect(tokenIds).toEqual([...tokenIds].sort((a, b) => b - a))
    for (const secret of shownOnce) expect(JSON.stringify(listed.body)).not.toContain(secret)
  })

  it('a token for every survey that never expires', async () => {
    const answer = await owner.send('/api/admin/tokens', { method: 'POST', body: { name: 'everything', scopes: ['surveys:read'], surveys: null, expiresInDays: null } })
    expect(answer.status).toBe(201)
    expect(answer.body).toMatchObject({ surveys: null, expiresAt: null })
    shownOnce.push(accessTokenSecret(answer.body.token))
    expect((await withToken(answer.body.token)('/api/admin/surveys')).body).toHaveLength(2)
  })

  it('revokes: the token stops working at once; revoking again changes nothing', async () => {
    const revoked = await owner.send(`/api/admin/tokens/${created.id}`, { method: 'DELETE' })
    expect(revoked.status).toBe(200)
    expect(revoked.body).toMatchObject({ id: created.id, name: 'portal', revokedAt: expect.any(String) })
    expect(revoked.body.token).toBeUndefined()
    expect((await withToken(created.token)('/api/admin/surveys')).status).toBe(401)
    const again = await owner.send(`/api/admin/tokens/${created.id}`, { method: 'DELETE' })
    expect(again.status).toBe(200)
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt)
    const audit = await owner.send('/api/admin/audit?actor=owner@example.org&limit=500')
    const actions = audit.body.entries.filter((entry: { target: string }) => entry.target === `token:${created.id}`).map((entry: { action: string }) => entry.action)
    expect(actions).toEqual(['token.revoke', 'token.create'])
  })

  it('400 with errors per field; 404 for a token that does not exist; 400 for an id that is not a number', async () => {
    const before = await countRows('personalAccessTokens')
    const cases: [unknown, string[]][] = [
      [{ name: '', scopes: [] }, ['name', 'scopes']],
      [{ name: 'x', scopes: ['surveys:own'] }, ['scopes.0']],
      [{ name: 'x', scopes: ['surveys:read'], surveys: ['alpha', 'no-such-survey'] }, ['surveys.1']],
      [{ name: 'x', scopes: ['surveys:read'], surveys: [] }, ['surveys']],
      [{ name: 'x', scopes: ['surveys:read'], expiresInDays: 0 }, ['expiresInDays']],
      [{ name: 'x', scopes: ['surveys:read'], secret: 'mine' }, ['secret']],
    ]
    for (const [body, fields] of cases) {
      const refused = await owner.send('/api/admin/tokens', { method: 'POST', body })
      expect(refused.status, JSON.stringify(body)).toBe(400)
      expect(Object.keys(refused.body.errors).sort(), JSON.stringify(body)).toEqual(fields)
    }
    expect(await countRows('personalAccessTokens')).toBe(before)
    expect((await owner.send('/api/admin/tokens/999999', { method: 'DELETE' })).status).toBe(404)
    const notNumber = await owner.send('/api/admin/tokens/first', { method: 'DELETE' })
    expect(notNumber.status).toBe(400)
    expect(notNumber.body.errors).toEqual({ id: { msg: 'must be a number' } })
  })
})

describe('/api/admin/accounts', () => {
  let nina: { id: number }
  let ownerId: number

  it('lists every account with role, surveys, two-factor state and last sign-in, never a secret', async () => {
    const listed = await owner.send('/api/admin/accounts')
    expect(listed.status).toBe(200)
    expect(listed.body.accounts.map((account: { email: string }) => account.email)).toEqual([OWNER.email, STAFF.email])
    expect(listed.body.accounts[0]).toMatchObject({ role: 'owner', surveys: null, disabled: false, mfaEnabled: true, createdAt: expect.any(String), lastSignInAt: expect.any(String) })
    expect(listed.body.accounts[1]).toMatchObject({ name: 'Sam Staff', role: 'staff', surveys: ['alpha'], mfaEnabled: false, lastSignInAt: expect.any(String) })
    expect(JSON.stringify(listed.body)).not.toMatch(/argon2|totpSecret|passwordHash/)
    ownerId = listed.body.accounts[0].id
  })

  it('creates an account with a one-time set-password link; the person sets a password and sees only their surveys', async () => {
    const answer = await owner.send('/api/admin/accounts', { method: 'POST', body: { email: ' Nina@Example.org ', name: 'Nina', role: 'staff', surveys: ['beta'] } })
    expect(answer.status).toBe(201)
    expect(answer.body.account).toMatchObject({ email: 'nina@example.org', role: 'staff', surveys: ['beta'], disabled: false, mfaEnabled: false, lastSignInAt: null })
    expect(answer.body.setPasswordLink).toMatch(new RegExp(`^${ORIGIN}/admin/set-password#[\\w-]{43}$`))
    nina = answer.body.account
    const token = answer.body.setPasswordLink.split('#')[1]
    expect((await anonymous('/api/admin/password', { method: 'POST', body: { token, password: 'nina\'s own passphrase' } })).status).toBe(200)
    const tab = consoleTab(ORIGIN)
    expect((await tab.signIn({ email: 'nina@example.org', password: 'nina\'s own passphrase' })).body.stage).toBe('active')
    expect((await tab.send('/api/admin/surveys')).body.map((survey: { slug: string }) => survey.slug)).toEqual(['beta'])
    const listed = await owner.send('/api/admin/accounts')
    expect(JSON.stringify(listed.body)).not.toContain(token)
  })

  it('changes name, surveys and role; an owner sees every survey', async () => {
    const changed = await owner.send(`/api/admin/accounts/${nina.id}`, { method: 'PATCH', body: { name: 'Nina N', surveys: ['alpha', 'BETA'] } })
    expect(changed.status).toBe(200)
    expect(changed.body.account).toMatchObject({ id: nina.id, name: 'Nina N', surveys: ['alpha', 'beta'], role: 'staff' })
    const promoted = await owner.send(`/api/admin/accounts/${nina.id}`, { method: 'PATCH', body: { role: 'owner' } })
    expect(promoted.body.account).toMatchObject({ role: 'owner', surveys: null })
    const demoted = await owner.send(`/api/admin/accounts/${nina.id}`, { method: 'PATCH', body: { role: 'staff', surveys: ['beta'] } })
    expect(demoted.body.account).toMatchObject({ role: 'staff', surveys: ['beta'] })
  })

  it('disabling ends the account\'s sign-ins at once; enabling lets it sign in again', async () => {
    const tab = consoleTab(ORIGIN)
    await tab.signIn({ email: 'nina@example.org', password: 'nina\'s own passphrase' })
    expect((await tab.send('/api/admin/surveys')).status).toBe(200)
    const disabled = await owner.send(`/api/admin/accounts/${nina.id}`, { method: 'PATCH', body: { disabled: true } })
    expect(disabled.body.account.disabled).toBe(true)
    expect((await tab.send('/api/admin/surveys')).status).toBe(401)
    expect((await consoleTab(ORIGIN).signIn({ email: 'nina@example.org', password: 'nina\'s own passphrase' })).status).toBe(401)
    expect((await owner.send(`/api/admin/accounts/${nina.id}`, { method: 'PATCH', body: { disabled: false } })).body.account.disabled).toBe(false)
    expect((await consoleTab(ORIGIN).signIn({ email: 'nina@example.org', password: 'nina\'s own passphrase' })).status).toBe(200)
    const audit = await owner.send(`/api/admin/audit?actor=owner@example.org&limit=500`)
    const actions = audit.body.entries.filter((entry: { target: string }) => entry.target === `admin:${nina.id}`).map((entry: { action: string }) => entry.action)
    expect(actions).toEqual(['admin.enable', 'admin.disable', 'admin.update', 'admin.update', 'admin.update', 'admin.create'])
  })

  it('a new set-password link replaces the old one', async () => {
    const first = await owner.send(`/api/admin/accounts/${nina.id}/password-link`, { method: 'POST' })
    const second = await owner.send(`/api/admin/accounts/${nina.id}/password-link`, { method: 'POST' })
    expect([first.status, second.status]).toEqual([200, 200])
    expect(second.body.setPasswordLink).toMatch(new RegExp(`^${ORIGIN}/admin/set-password#`))
    const [old, fresh] = [first, second].map(answer => answer.body.setPasswordLink.split('#')[1])
    expect((await anonymous('/api/admin/password', { method: 'POST', body: { token: old, password: 'a different passphrase' } })).status).toBe(400)
    expect((await anonymous('/api/admin/password', { method: 'POST', body: { token: fresh, password: 'a different passphrase' } })).status).toBe(200)
    expect((await consoleTab(ORIGIN).signIn({ email: 'nina@example.org', password: 'a different passphrase' })).status).toBe(200)
  })

  it('the last enabled owner can be neither disabled nor demoted (409); with a second owner it can', async () => {
    for (const body of [{ disabled: true }, { role: 'staff' }, { role: 'staff', disabled: true }]) {
      const refused = await owner.send(`/api/admin/accounts/${ownerId}`, { method: 'PATCH', body })
      expect(refused.status, JSON.stringify(body)).toBe(409)
      expect(refused.body.errors, JSON.stringify(body)).toBeDefined()
    }
    expect((await owner.send('/api/admin/session')).body.account).toMatchObject({ role: 'owner' })
    expect((await owner.send(`/api/admin/accounts/${nina.id}`, { method: 'PATCH', body: { role: 'owner' } })).status).toBe(200)
    const demoted = await owner.send(`/api/admin/accounts/${nina.id}`, { method: 'PATCH', body: { role: 'staff' } })
    expect(demoted.body.account).toMatchObject({ role: 'staff', surveys: null })
  })

  it('400 with errors per field, 409 for a taken e-mail address, 404 for an account that does not exist', async () => {
    const before = await countRows('adminAccounts')
    const cases: [string, string, unknown, string[]][] = [
      ['POST', '/api/admin/accounts', { email: 'not an address', name: '', role: 'boss' }, ['email', 'name', 'role']],
      ['POST', '/api/admin/accounts', { email: 'o2@example.org', name: 'O', role: 'owner', surveys: ['alpha'] }, ['surveys']],
      ['POST', '/api/admin/accounts', { email: 'o2@example.org', name: 'O', role: 'staff', surveys: ['nope'] }, ['surveys.0']],
      ['POST', '/api/admin/accounts', { email: 'o2@example.org', name: 'O', role: 'staff', password: 'x' }, ['password']],
      ['PATCH', `/api/admin/accounts/${nina.id}`, { role: 'boss', disabled: 'yes' }, ['disabled', 'role']],
      ['PATCH', `/api/admin/accounts/${ownerId}`, { surveys: ['alpha'] }, ['surveys']],
      ['PATCH', '/api/admin/accounts/first', { name: 'x' }, ['id']],
      ['POST', '/api/admin/accounts/first/password-link', undefined, ['id']],
    ]
    for (const [method, path, body, fields] of cases) {
      const refused = await owner.send(path, { method, body })
      expect(refused.status, JSON.stringify(body)).toBe(400)
      expect(Object.keys(refused.body.errors).sort(), JSON.stringify(body)).toEqual(fields)
    }
    const taken = await owner.send('/api/admin/accounts', { method: 'POST', body: { email: 'STAFF@example.org', name: 'Again', role: 'staff' } })
    expect(taken.status).toBe(409)
    expect(Object.keys(taken.body.errors)).toEqual(['email'])
    expect(await countRows('adminAccounts')).toBe(before)
    expect((await owner.send('/api/admin/accounts/999999', { method: 'PATCH', body: { name: 'x' } })).status).toBe(404)
    expect((await owner.send('/api/admin/accounts/999999/password-link', { method: 'POST' })).status).toBe(404)
  })
})

describe('GET /api/admin/audit', () => {
  it('newest first, a page at a time, filtered by survey and by who', async () => {
    const all = await owner.send('/api/admin/audit?limit=500')
    expect(all.status).toBe(200)
    const ids = all.body.entries.map((entry: { id: number }) => entry.id)
    expect(ids).toEqual([...ids].sort((a, b) => b - a))
    expect(all.body).toMatchObject({ page: 1, limit: 500, total: ids.length })
    expect(Object.keys(all.body.entries[0]).sort()).toEqual(['action', 'actor', 'at', 'details', 'id', 'survey', 'target'])

    const second = await owner.send('/api/admin/audit?limit=2&page=2')
    expect(second.body).toMatchObject({ page: 2, limit: 2, total: ids.length })
    expect(second.body.entries.map((entry: { id: number }) => entry.id)).toEqual(ids.slice(2, 4))

    const alpha = await owner.send('/api/admin/audit?survey=ALPHA&limit=500')
    expect(alpha.body.entries.length).toBeGreaterThan(0)
    expect(alpha.body.entries.every((entry: { survey: string }) => entry.survey === 'alpha')).toBe(true)
    expect(alpha.body.total).toBe(all.body.entries.filter((entry: { survey: string | null }) => entry.survey === 'alpha').length)
    const byStaff = await owner.send('/api/admin/audit?actor=STAFF@example&limit=500')
    expect(byStaff.body.entries.length).toBeGreaterThan(0)
    expect(byStaff.body.entries.every((entry: { actor: string }) => /^admin:\d+:staff@example\.org$/.test(entry.actor))).toBe(true)
    const pattern = await owner.send('/api/admin/audit?actor=%25')
    expect(pattern.body.total).toBe(0)
    for (const secret of shownOnce) expect(JSON.stringify(all.body)).not.toContain(secret)
  })

  it('a caller limited to some surveys sees only their entries; another survey answers 404', async () => {
    const all = (await owner.send('/api/admin/audit?limit=500')).body.entries as { survey: string | null }[]
    for (const caller of [withToken(alphaToken), staff.send]) {
      const seen = await caller('/api/admin/audit?limit=500')
      expect(seen.status).toBe(200)
      expect(seen.body.total).toBe(all.filter(entry => entry.survey === 'alpha').length)
      expect(seen.body.total).toBeLessThan(all.length)
      expect(seen.body.entries.every((entry: { survey: string }) => entry.survey === 'alpha')).toBe(true)
      expect((await caller('/api/admin/audit?survey=beta')).body).toEqual(notFound)
    }
    expect((await withToken(readOnlyToken)('/api/admin/audit')).status).toBe(403)
  })

  it('400 naming the parameter that is not valid', async () => {
    for (const [query, field] of [['limit=0', 'limit'], ['page=x', 'page'], ['limit=501', 'limit'], [`actor=${'a'.repeat(300)}`, 'actor']]) {
      const refused = await owner.send(`/api/admin/audit?${query}`)
      expect(refused.status, query).toBe(400)
      expect(Object.keys(refused.body.errors), query).toEqual([field])
    }
  })
})

describe('the slug admin', () => {
  it('is reserved for the console', async () => {
    const refused = await owner.send('/api/admin/surveys', { method: 'POST', body: { slug: 'Admin', name: 'Admin', supportEmail: 'team@example.org' } })
    expect(refused.status).toBe(400)
    expect(refused.body.errors.slug).toEqual({ msg: 'is reserved for the app\'s own pages' })
  })
})

describe('NUXT_ADMIN_REQUIRE_MFA=true', () => {
  it('a staff account must set up two-factor sign-in before it can use the admin API', async () => {
    await server.restart({ NUXT_ADMIN_REQUIRE_MFA: 'true' })
    const tab = consoleTab(ORIGIN)
    const signedIn = await tab.signIn(STAFF)
    expect(signedIn.status).toBe(200)
    expect(signedIn.body).toMatchObject({ stage: 'enrol', account: { role: 'staff', mfaEnabled: false } })
    for (const [method, path, , body] of surveyRoutes('alpha')) {
      const refused = await tab.send(path, { method, body })
      expect(refused.status, path).toBe(401)
      expect(refused.body.message, path).toMatch(/two-factor/)
    }
    expect((await tab.send('/api/admin/surveys')).status).toBe(401)
    expect((await enrolTotp(tab)).status).toBe(200)
    expect((await tab.send('/api/admin/session')).body).toMatchObject({ stage: 'active', account: { mfaEnabled: true } })
    expect((await tab.send('/api/admin/surveys/alpha/completion-preview')).status).toBe(200)
    expect((await tab.send('/api/admin/audit?survey=alpha')).status).toBe(200)
  })
})
