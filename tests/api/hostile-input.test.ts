import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { count } from 'drizzle-orm'
import { ADMIN_SCOPES, createAccessToken } from '#server/services/access-tokens'
import { createOrUpdateFromPartner, findRespondent } from '#server/services/respondents'
import { findSurveyBySlug, upsertSurveys } from '#server/services/surveys'
import { runCli } from '../support/cli'
import { hmacSigner, rawToken, signPartnerToken } from '../support/jwt'
import { request, useTestServer } from '../support/server'
import { schema } from '../support/engine'

const server = await useTestServer()
const SECRET = 'hostile-suite-secret-0123456789-abcdefghijk'
let respondentAuth: Record<string, string>
let adminAuth: Record<string, string>

beforeAll(async () => {
  const db = server.db()
  await upsertSurveys(db, [{ slug: 'target', name: 'Target', supportEmail: 'a@example.org', state: 'active', allowGenUsers: true, genUserKey: SECRET, userCustomFields: true, minimumSubmissionInterval: 0, jwtPolicy: { singleUse: false } }])
  const { authToken } = await createOrUpdateFromPartner(db, (await findSurveyBySlug(db, 'target'))!, { username: 'victim', password: 'Victim-pass1' })
  const login = await request('/api/auth/login/token', { method: 'POST', body: { token: authToken } })
  respondentAuth = { authorization: `Bearer ${login.body.accessToken}` }
  adminAuth = { authorization: `Bearer ${(await createAccessToken(db, { name: 'hostile', scopes: [...ADMIN_SCOPES] })).token}` }
  await request('/api/surveys/target/session', { method: 'POST', headers: respondentAuth })
})

const TABLES = {
  surveys: schema.surveys, users: schema.users, respondents: schema.respondents, user_custom_fields: schema.userCustomFields,
  recall_sessions: schema.recallSessions, submissions: schema.submissions, submission_meals: schema.submissionMeals,
  submission_foods: schema.submissionFoods, survey_events: schema.surveyEvents, webhook_deliveries: schema.webhookDeliveries,
  used_token_ids: schema.usedTokenIds, personal_access_tokens: schema.personalAccessTokens, audit_log: schema.auditLog,
}
async function rowCounts() {
  const counts = await Promise.all(Object.entries(TABLES).map(async ([name, table]) =>
    [name, (await server.db().select({ n: count() }).from(table))[0]!.n] as const))
  return Object.fromEntries(counts)
}

interface Endpoint { name: string, method: string, path: string, headers?: () => Record<string, string>, maxBytes: number }
const endpoints: Endpoint[] = [
  { name: 'create-user', method: 'POST', path: '/api/surveys/target/create-user', maxBytes: 64 * 1024 },
  { name: 'generate-user', method: 'POST', path: '/api/surveys/target/generate-user', maxBytes: 64 * 1024 },
  { name: 'login by alias', method: 'POST', path: '/api/auth/login/alias', maxBytes: 64 * 1024 },
  { name: 'login by token', method: 'POST', path: '/api/auth/login/token', maxBytes: 64 * 1024 },
  { name: 'save session', method: 'PUT', path: '/api/surveys/target/session', headers: () => respondentAuth, maxBytes: 64 * 1024 },
  { name: 'submission', method: 'POST', path: '/api/surveys/target/submission', headers: () => respondentAuth, maxBytes: 64 * 1024 },
  { name: 'admin: create survey', method: 'POST', path: '/api/admin/surveys', headers: () => adminAuth, maxBytes: 64 * 1024 },
  { name: 'admin: update survey', method: 'PATCH', path: '/api/admin/surveys/target', headers: () => adminAuth, maxBytes: 64 * 1024 },
  { name: 'admin: create respondent', method: 'POST', path: '/api/admin/surveys/target/respondents', headers: () => adminAuth, maxBytes: 64 * 1024 },
  { name: 'admin: update respondent', method: 'PATCH', path: '/api/admin/surveys/target/respondents/1', headers: () => adminAuth, maxBytes: 64 * 1024 },
]

const control = 'a\u0000b\u0007c\u001B[31m'
const long = 'x'.repeat(10_000)
const nested = (depth: number): unknown => depth === 0 ? 'deep' : { inner: nested(depth - 1), list: [nested(0)] }

/** Bodies that are wrong for every endpoint above: shape, types, sizes, encodings. */
const badBodies: [string, { rawBody: string, contentType?: string }][] = [
  ['wrong content type', { rawBody: '{"token":"a.b.c"}', contentType: 'text/plain' }],
  ['form-encoded', { rawBody: 'token=a.b.c', contentType: 'application/x-www-form-urlencoded' }],
  ['malformed JSON', { rawBody: '{"token": "a.b.c",' }],
  ['JSON with a BOM and garbage', { rawBody: '\uFEFF{]' }],
  ['a JSON array', { rawBody: '[1,2,3]' }],
  ['a JSON string', { rawBody: '"token"' }],
  ['JSON null', { rawBody: 'null' }],
  ['wrong types everywhere', { rawBody: JSON.stringify({ token: 42, username: { $ne: null }, password: ['x'], survey: true, captcha: 7, meals: 'all', data: 5, slug: ['a'], name: { a: 1 }, disabled: 'yes' }) }],
  ['control characters', { rawBody: JSON.stringify({ token: control, username: control, password: control, survey: control, slug: control, name: control, meals: [{ name: control, foods: [{ description: control }] }], data: { meals: [{ name: control }] } }) }],
  ['overlong strings', { rawBody: JSON.stringify({ token: long, username: long, password: long, survey: long, slug: long, name: long, captcha: long, meals: [{ name: long, foods: [{ description: long }] }], data: { meals: [{ name: long }] }, redirectUrl: long }) }],
  ['deeply nested JSON', { rawBody: JSON.stringify({ token: nested(40), username: nested(40), survey: nested(40), meals: nested(40), data: nested(40), slug: nested(40), customFields: nested(40) }) }],
  ['prototype pollution', { rawBody: '{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}},"slug":"__proto__","username":"__proto__"}' }],
]

function expectCleanRefusal(response: { status: number, headers: Headers, body: any }, label: string) {
  expect(response.status, label).toBeGreaterThanOrEqual(400)
  expect(response.status, label).toBeLessThan(500)
  expect(response.headers.get('content-type'), label).toContain('application/json')
  expect(response.body, label).toMatchObject({ statusCode: response.status, message: expect.any(String) })
  expect(JSON.stringify(response.body), label).not.toMatch(/at \w+ \(|node_modules|SQLITE|\.ts:\d+/)
}

describe('hostile input: every JSON endpoint refuses bad bodies with a 4xx JSON error and writes nothing', () => {
  for (const endpoint of endpoints) {
    it(endpoint.name, async () => {
      const before = await rowCounts()
      for (const [label, { rawBody, contentType }] of badBodies) {
        const response = await request(endpoint.path, { method: endpoint.method, rawBody, headers: { 'content-type': contentType ?? 'application/json', ...endpoint.headers?.() } })
        expectCleanRefusal(response, `${endpoint.name}: ${label}`)
      }
      const huge = await request(endpoint.path, { method: endpoint.method, rawBody: JSON.stringify({ padding: 'x'.repeat(endpoint.maxBytes + 10) }), headers: { 'content-type': 'application/json', ...endpoint.headers?.() } })
      expectCleanRefusal(huge, `${endpoint.name}: huge body`)
      expect(huge.status, `${endpoint.name}: huge body`).toBe(413)
      expect(await rowCounts()).toEqual(before)
    })
  }

  it('a body over the limit sent without Content-Length (chunked) is refused with 413 too', async () => {
    const response = await fetch(new URL('/api/auth/login/token', (await import('@nuxt/test-utils/e2e')).url('/')), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(8192)))
          controller.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(413)
  })
})

describe('hostile input: slugs and path parameters', () => {
  it('answers traversal, unicode, control and overlong slugs with 404 JSON, never a 5xx', async () => {
    const before = await rowCounts()
    for (const slug of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e', 'target%00', 'tar%C3%A9get', '%F0%9F%92%A5', 'x'.repeat(5000), '%E2%80%AEtegrat', 'target%20', 'TARGET%2F', '%25', '_', '%ZZ']) {
      for (const suffix of ['', '/availability', '/create-user', '/generate-user']) {
        const method = suffix.endsWith('user') ? 'POST' : 'GET'
        const response = await request(`/api/surveys/${slug}${suffix}`, { method, body: method === 'POST' ? { token: 'a.b.c' } : undefined })
        expectCleanRefusal(response, `${method} ${slug.slice(0, 20)}${suffix}`)
      }
    }
    const adminRespondent = await request('/api/admin/surveys/target/respondents/1%27%20OR%201=1', { headers: adminAuth })
    expectCleanRefusal(adminRespondent, 'sql-ish userId')
    expect(await rowCounts()).toEqual(before)
  })
})

describe('hostile input: JWT attacks on create-user', () => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const attacks = async (): Promise<[string, string][]> => [
    ['alg none', rawToken({ alg: 'none' }, { username: 'evil' })],
    ['alg None', rawToken({ alg: 'None' }, { username: 'evil' }, () => 'x')],
    ['alg nOnE', rawToken({ alg: 'nOnE' }, { username: 'evil' }, () => 'x')],
    ['alg missing', rawToken({ typ: 'JWT' }, { username: 'evil' }, hmacSigner('sha256', SECRET))],
    ['HS384', rawToken({ alg: 'HS384' }, { username: 'evil' }, hmacSigner('sha384', SECRET))],
    ['RS256 header, HMAC with the secret as key', rawToken({ alg: 'RS256' }, { username: 'evil' }, hmacSigner('sha256', SECRET))],
    ['ES256 header', rawToken({ alg: 'ES256' }, { username: 'evil' }, hmacSigner('sha256', SECRET))],
    ['jku pointing elsewhere, signed with the attacker\'s key', await signPartnerToken('attacker-controlled-secret-000000000000000', { username: 'evil' }, { header: { jku: 'https://evil.example/jwks.json', kid: 'evil' } })],
    ['kid path traversal, signed with an empty key', rawToken({ alg: 'HS256', kid: '../../../../dev/null' }, { username: 'evil' }, hmacSigner('sha256', ''))],
    ['embedded jwk', rawToken({ alg: 'HS256', jwk: { kty: 'oct', k: Buffer.from('attacker').toString('base64url') } }, { username: 'evil' }, hmacSigner('sha256', 'attacker'))],
    ['crit extension', rawToken({ 'alg': 'HS256', 'crit': ['exp-ext'], 'exp-ext': true }, { username: 'evil' }, hmacSigner('sha256', SECRET))],
    ['b64 false', rawToken({ alg: 'HS256', b64: false, crit: ['b64'] }, { username: 'evil' }, hmacSigner('sha256', SECRET))],
    ['tampered payload', (await signPartnerToken(SECRET, { username: 'honest' })).replace(/\.[^.]+\./, `.${b64({ username: 'evil' })}.`)],
    ['empty signature', rawToken({ alg: 'HS256' }, { username: 'evil' })],
    ['signature of another token', `${rawToken({ alg: 'HS256' }, { username: 'evil' }).slice(0, -1)}${(await signPartnerToken(SECRET, { username: 'x' })).split('.')[2]}`],
    ['100 KB token', await signPartnerToken(SECRET, { username: 'evil', padding: 'x'.repeat(100 * 1024) })],
    ['header not JSON', `${Buffer.from('not json').toString('base64url')}.${b64({ username: 'evil' })}.${'A'.repeat(43)}`],
    ['payload not JSON', `${b64({ alg: 'HS256' })}.${Buffer.from('not json').toString('base64url')}.${hmacSigner('sha256', SECRET)(`${b64({ alg: 'HS256' })}.${Buffer.from('not json').toString('base64url')}`)}`],
    ['nested JSON in claims', await signPartnerToken(SECRET, { username: { $gt: '' }, customFields: [{ name: { a: 1 }, value: { b: [1, 2, { c: 3 }] } }] })],
    ['claims with control characters', await signPartnerToken(SECRET, { username: control })],
    ['exp as a string', await signPartnerToken(SECRET, { username: 'evil', exp: 'tomorrow' as unknown as number })],
    ['five segments (JWE shape)', 'a.b.c.d.e'],
  ]

  it('each is a 4xx with the JSON error shape, and no respondent is created', async () => {
    const before = await rowCounts()
    for (const [label, token] of await attacks()) {
      const response = await request('/api/surveys/target/create-user', { method: 'POST', body: { token } })
      expectCleanRefusal(response, label)
    }
    expect(await rowCounts()).toEqual(before)
  })
})

describe('hostile input: webhook targets spelled to hide a private address', () => {
  it('400 errors["notifications.0.url"] for IPv4-mapped, -compatible, 6to4 and NAT64 spellings and local names', async () => {
    const before = await rowCounts()
    for (const host of ['[::ffff:7f00:1]', '[::127.0.0.1]', '[::ffff:0:a00:1]', '[0:0:0:0:0:ffff:a9fe:a9fe]', '[2002:c0a8:101::1]', '[64:ff9b::10.0.0.1]', 'localhost.', 'foo.localhost', 'metadata.google.internal.']) {
      const url = `http://${host}/hook`
      const response = await request('/api/admin/surveys/target', { method: 'PATCH', body: { notifications: [{ type: 'survey.session.submitted', url }] }, headers: adminAuth })
      expect(response.status, url).toBe(400)
      expect(Object.keys(response.body.errors), url).toEqual(['notifications.0.url'])
    }
    expect(await rowCounts()).toEqual(before)
    const publicTarget = await request('/api/admin/surveys/target', { method: 'PATCH', body: { notifications: [{ type: 'survey.session.submitted', url: 'http://[64:ff9b::93.184.216.34]/hook' }] }, headers: adminAuth })
    expect(publicTarget.status).toBe(200)
    await request('/api/admin/surveys/target', { method: 'PATCH', body: { notifications: [] }, headers: adminAuth })
  })
})

describe('hostile input: the NUL character (U+0000), which PostgreSQL cannot hold in text', () => {
  const NUL = { msg: 'must not contain the NUL character (U+0000)' }

  it('400 naming the field in a body, a query or a create-user claim, 404 in a path; nothing written, and no NUL in any answer', async () => {
    const before = await rowCounts()
    const refusals: [string, Promise<{ status: number, body: any }>, number, Record<string, unknown> | undefined][] = [
      ['login by token', request('/api/auth/login/token', { body: { token: 'an-auth-token\u0000or-not' } }), 400, { token: NUL }],
      ['login by alias', request('/api/auth/login/alias', { body: { survey: 'target\u0000', username: 'victim', password: 'Victim-pass1' } }), 400, { survey: NUL }],
      ['survey name', request('/api/admin/surveys', { body: { slug: 'nul', name: 'a\u0000b', supportEmail: 'a@example.org' }, headers: adminAuth }), 400, { name: NUL }],
      ['custom field value', request('/api/admin/surveys/target/respondents', { body: { username: 'nul-field', customFields: [{ name: 'site', value: 'Leeds\u0000' }] }, headers: adminAuth }), 400, { 'customFields.0.value': NUL }],
      ['a key', request('/api/admin/surveys/target', { method: 'PATCH', rawBody: '{"scheme":{"a\\u0000b":1}}', headers: { 'content-type': 'application/json', ...adminAuth } }), 400, { 'scheme.a\uFFFDb': NUL }],
      ['a query value', request('/api/admin/surveys/target/respondents?username=vic%00tim', { headers: adminAuth }), 400, { username: NUL }],
      ['a delivery id', request('/api/admin/deliveries/msg_%00/resend', { method: 'POST', headers: adminAuth }), 404, undefined],
      ['a respondent id', request('/api/admin/surveys/target/respondents/1%00', { headers: adminAuth }), 404, undefined],
    ]
    for (const [label, sent, status, errors] of refusals) {
      const response = await sent
      expect(response.status, label).toBe(status)
      if (errors) expect(response.body.errors, label).toEqual(errors)
      expect(JSON.stringify(response.body), label).not.toContain('\\u0000')
    }
    const claims = { username: 'nul-claims', customFields: [{ name: 'site', value: 'Leeds\u0000' }] }
    const created = await request('/api/surveys/target/create-user', { body: { token: await signPartnerToken(SECRET, claims) } })
    expect(created.status).toBe(400)
    expect(JSON.stringify(created.body.errors)).toContain('NUL character')
    expect(await rowCounts()).toEqual(before)
  })
})

describe('hostile input: field names that are members of Object.prototype', () => {
  const INHERITED = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__']
  const admin = (method: string, path: string, body: unknown) => request(`/api/admin${path}`, { method, body, headers: adminAuth })
  const newSurvey = { slug: 'fresh', name: 'Fresh', supportEmail: 'a@example.org' }

  it('400 "<name> is not a known field" for each such name on survey create and update, respondent create and update', async () => {
    const before = await rowCounts()
    for (const name of INHERITED) {
      const attempts: [string, () => ReturnType<typeof admin>][] = [
        ['PATCH survey', () => admin('PATCH', '/surveys/target', { [name]: 1 })],
        ['POST survey', () => admin('POST', '/surveys', { ...newSurvey, [name]: 1 })],
        ['POST respondent', () => admin('POST', '/surveys/target/respondents', { username: 'someone', [name]: 1 })],
        ['PATCH respondent', () => admin('PATCH', '/surveys/target/respondents/1', { name: 'x', [name]: 1 })],
      ]
      for (const [label, send] of attempts) {
        const response = await send()
        expect(response.status, `${label} ${name}`).toBe(400)
        expect(response.body.errors, `${label} ${name}`).toEqual({ [name]: { msg: 'is not a known field' } })
      }
      const nested = await admin('PATCH', '/surveys/target', { jwtPolicy: { [name]: true }, scheme: { redirect: { url: 'https://partner.example.org/done', [name]: 1 } } })
      expect(nested.status, name).toBe(400)
      expect(nested.body.errors).toEqual({ [`jwtPolicy.${name}`]: { msg: 'is not a known field' }, [`scheme.redirect.${name}`]: { msg: 'is not a known field' } })
    }
    expect(await rowCounts()).toEqual(before)
  })

  it('400 naming a __proto__ key at any depth of a body, and nothing inherits what it carried; create-user ignores such claims', async () => {
    const before = await rowCounts()
    const bodies: [string, string, string, string][] = [
      ['POST', '/surveys', '{"slug":"fresh","__proto__":{"name":"Inherited","supportEmail":"a@example.org","genUserKey":"inherited-secret-0123456789-0123456789"}}', '__proto__'],
      ['PATCH', '/surveys/target', '{"__proto__":{"genUserKey":"inherited-secret-0123456789-0123456789"}}', '__proto__'],
      ['PATCH', '/surveys/target', '{"scheme":{"meals":["Lunch"],"__proto__":{"redirect":null}}}', 'scheme.__proto__'],
      ['POST', '/surveys/target/respondents', '{"username":"proto","__proto__":{"password":"Inherited-pass1"}}', '__proto__'],
      ['PATCH', '/surveys/target/respondents/1', '{"customFields":[{"name":"a","value":"b","__proto__":{"public":true}}]}', 'customFields.0.__proto__'],
    ]
    for (const [method, path, rawBody, field] of bodies) {
      const response = await request(`/api/admin${path}`, { method, rawBody, headers: { 'content-type': 'application/json', ...adminAuth } })
      expect(response.status, `${method} ${path} ${rawBody}`).toBe(400)
      expect(response.body.errors, `${method} ${path} ${rawBody}`).toEqual({ [field]: { msg: 'is not a known field' } })
    }
    expect(await rowCounts()).toEqual(before)
    const target = await admin('GET', '/surveys/target', undefined)
    expect(target.body).toMatchObject({ slug: 'target', genUserKeySet: true })
    expect((await findSurveyBySlug(server.db(), 'target'))!.genUserKey).toBe(SECRET)

    // In a create-user token such claims are ignored, and custom fields may carry such names.
    const db = server.db()
    const payload = JSON.parse('{"username":"claims-proto","constructor":1,"toString":"x","__proto__":{"username":"admin","password":"Inherited-pass1"},"customFields":[{"name":"__proto__","value":"p"},{"name":"constructor","value":"c"},{"name":"toString","value":"t","__proto__":{"public":true}}]}')
    const response = await request('/api/surveys/target/create-user', { method: 'POST', body: { token: await signPartnerToken(SECRET, payload) } })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({
      username: 'claims-proto',
      customFields: [{ name: '__proto__', value: 'p', public: false }, { name: 'constructor', value: 'c', public: false }, { name: 'toString', value: 't', public: false }],
    })
    expect((await findRespondent(db, (await findSurveyBySlug(db, 'target'))!.id, 'claims-proto'))!.respondent.passwordHash).toBeNull()
    expect(await findRespondent(db, (await findSurveyBySlug(db, 'target'))!.id, 'admin')).toBeUndefined()
  })

  // Kept last in the file: runCli blocks this process for seconds, long enough for the server to close the
  // kept-alive connection that the next request here would reuse ("other side closed").
  it('the CLI refuses such names in a survey file with the field named, and changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostile-cli-'))
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      const file = join(dir, `${name}.json`)
      writeFileSync(file, `{"slug":"target","${name}":1}`)
      const result = runCli(['surveys:upsert', file], server.databasePath)
      expect(result.status, name).toBe(1)
      expect(result.stderr, name).toContain(`${name}: is not a known field`)
      expect(result.stderr, name).not.toMatch(/at \w+ \(|node_modules/)
    }
    const unknownCommand = runCli(['constructor'], server.databasePath)
    expect(unknownCommand.status).toBe(1)
    expect(unknownCommand.stderr).toContain('Unknown command "constructor"')
  })
})
