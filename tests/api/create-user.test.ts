import { beforeAll, describe, expect, it } from 'vitest'
import { count, eq } from 'drizzle-orm'
import { schema, testEngine } from '../support/engine'
import { findRespondent } from '#server/services/respondents'
import { findSurveyBySlug, upsertSurveys } from '#server/services/surveys'
import { hmacSigner, nowSeconds, rawToken, rs256Token, signPartnerToken } from '../support/jwt'
import { request, useTestServer } from '../support/server'

const ORIGIN = 'https://gateway.example.org'
const server = await useTestServer({ NUXT_PUBLIC_ORIGIN: ORIGIN })
const SECRET = 'partner-secret-that-is-long-enough-0123456789'
const base = { supportEmail: 'team@example.org', state: 'active' as const, allowGenUsers: true, genUserKey: SECRET }

beforeAll(async () => {
  await upsertSurveys(server.db(), [
    { ...base, slug: 'study', name: 'Study', userPersonalIdentifiers: true, userCustomFields: true },
    { ...base, slug: 'plain', name: 'Plain study' },
    { ...base, slug: 'no-gen', name: 'No generation', allowGenUsers: false },
    { ...base, slug: 'no-key', name: 'No key', genUserKey: null },
    { ...base, slug: 'paused', name: 'Paused', state: 'suspended', suspensionReason: 'Ethics review' },
    { ...base, slug: 'later', name: 'Later', startDate: '2099-01-01' },
    { ...base, slug: 'over', name: 'Over', state: 'completed' },
    { ...base, slug: 'strict', name: 'Strict', jwtPolicy: { requireExp: true, maxLifetimeSeconds: 600, issuer: 'https://redcap.example.org', singleUse: true, audience: ORIGIN } },
    { ...base, slug: 'once', name: 'Single-use tokens', jwtPolicy: { singleUse: true } },
  ])
})

const createUser = (slug: string, body: unknown) => request(`/api/surveys/${slug}/create-user`, { method: 'POST', body })
const token = (payload: Record<string, unknown>, alg?: 'HS256' | 'HS512' | 'HS384', secret = SECRET) => signPartnerToken(secret, payload, { alg })
const { respondents, usedTokenIds, users } = schema
const respondentCount = async () => (await server.db().select({ n: count() }).from(respondents))[0]!.n
const usedTokenCount = async () => (await server.db().select({ n: count() }).from(usedTokenIds))[0]!.n

describe('POST /api/surveys/{slug}/create-user — Intake24 cases', () => {
  it('400 errors.token when the token is missing, empty or not a compact JWS', async () => {
    const cases: [unknown, string][] = [
      [{}, 'token is required: a JWT signed with the survey\'s secret'],
      [{ token: '' }, 'token is required: a JWT signed with the survey\'s secret'],
      [{ token: 123 }, 'token is required: a JWT signed with the survey\'s secret'],
      [{ token: 'not-a-jwt' }, 'token is not a compact JWS (header.payload.signature)'],
      [{ token: 'a.b' }, 'token is not a compact JWS (header.payload.signature)'],
      [{ token: 'a.b.c.d' }, 'token is not a compact JWS (header.payload.signature)'],
      [{ token: `a.${'b'.repeat(16 * 1024)}.c` }, 'token is longer than 16384 characters'],
    ]
    for (const [body, message] of cases) {
      const response = await createUser('study', body)
      expect(response.status, JSON.stringify(body).slice(0, 40)).toBe(400)
      expect(response.body).toEqual({ statusCode: 400, message, errors: { token: { msg: message } } })
    }
  })

  it('400 for a body that is not JSON', async () => {
    const response = await request('/api/surveys/study/create-user', { method: 'POST', rawBody: '{"token": ', headers: { 'content-type': 'application/json' } })
    expect(response.status).toBe(400)
    expect(response.body).toEqual({ statusCode: 400, message: 'The request body is not valid JSON.' })
  })

  it('404 for an unknown survey', async () => {
    const response = await createUser('nope', { token: await token({ username: 'u1' }) })
    expect(response.status).toBe(404)
    expect(response.body).toMatchObject({ statusCode: 404 })
  })

  it('403 when the survey does not allow generation or has no secret', async () => {
    expect((await createUser('no-gen', { token: await token({ username: 'u1' }) })).status).toBe(403)
    expect((await createUser('no-key', { token: await token({ username: 'u1' }) })).status).toBe(403)
  })

  it('403 invalid signature for a token signed with another secret or tampered with', async () => {
    const wrong = await createUser('study', { token: await token({ username: 'u1' }, 'HS256', 'another-secret-of-sufficient-length-xxxxxx') })
    expect(wrong.status).toBe(403)
    expect(wrong.body.message).toBe('invalid signature')
    const good = await token({ username: 'u1' })
    const [header, , signature] = good.split('.')
    const tampered = `${header}.${Buffer.from(JSON.stringify({ username: 'admin' })).toString('base64url')}.${signature}`
    const response = await createUser('study', { token: tampered })
    expect(response.status).toBe(403)
    expect(response.body.message).toBe('invalid signature')
    expect(await respondentCount()).toBe(0)
  })

  it('400 with errors keyed by claim for a missing username or wrong claim types', async () => {
    const missing = await createUser('study', { token: await token({ name: 'x' }) })
    expect(missing.status).toBe(400)
    expect(missing.body.errors).toHaveProperty('username')
    const wrongTypes = await createUser('study', { token: await token({ username: 7, name: ['x'], customFields: 'no', redirectUrl: 'javascript:alert(1)', password: 'short' }) })
    expect(wrongTypes.status).toBe(400)
    expect(Object.keys(wrongTypes.body.errors).sort()).toEqual(['customFields', 'name', 'password', 'redirectUrl', 'username'])
    const relative = await createUser('study', { token: await token({ username: 'u1', redirectUrl: '/relative/path' }) })
    expect(relative.body.errors).toHaveProperty('redirectUrl')
    expect(await respondentCount()).toBe(0)
  })

  it('200 creates the respondent; the answer has userId, username, authToken and redirectUrl', async () => {
    const response = await createUser('plain', { token: await token({ username: 'resp-001', redirectUrl: 'https://partner.example.org/back?x=1', password: 'Secret-pass1' }) })
    expect(response.status).toBe(200)
    expect(response.body).toEqual({
      userId: expect.stringMatching(/^\d+$/),
      username: 'resp-001',
      authToken: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
      redirectUrl: 'https://partner.example.org/back?x=1',
    })
    expect(JSON.stringify(response.body)).not.toContain('Secret-pass1')
    const row = (await findRespondent(server.db(), (await findSurveyBySlug(server.db(), 'plain'))!.id, 'resp-001'))!
    expect(row.respondent.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(row.respondent.passwordHash).not.toContain('Secret-pass1')
  })

  it('is idempotent: the same userId and authToken for an existing username, password unchanged', async () => {
    const first = await createUser('plain', { token: await token({ username: 'resp-002', password: 'First-pass1' }) })
    const hashBefore = (await findRespondent(server.db(), (await findSurveyBySlug(server.db(), 'plain'))!.id, 'resp-002'))!.respondent.passwordHash
    const second = await createUser('plain', { token: await token({ username: 'resp-002', password: 'Other-pass2' }) })
    expect(second.status).toBe(200)
    expect(second.body).toEqual(first.body)
    expect((await findRespondent(server.db(), (await findSurveyBySlug(server.db(), 'plain'))!.id, 'resp-002'))!.respondent.passwordHash).toBe(hashBefore)
  })
})

describe('create-user — algorithm and claim checks', () => {
  it('accepts HS512', async () => {
    const response = await createUser('plain', { token: await token({ username: 'hs512' }, 'HS512') })
    expect(response.status).toBe(200)
  })

  it('400 errors.token for a correctly signed token whose payload is not a JSON object (array, string, number, null, not JSON); 403 when it is not signed with the secret', async () => {
    const before = await respondentCount()
    // Payloads as they appear in the token: strings are used as they are, anything else as its JSON.
    const payloads: unknown[] = [[{ username: 'x' }], [], '"x"', 42, null, true, 'not json', '{"username":"x"']
    for (const payload of payloads) {
      for (const [alg, hash] of [['HS256', 'sha256'], ['HS512', 'sha512']] as const) {
        const label = `${alg} ${JSON.stringify(payload)}`
        const signed = await createUser('plain', { token: rawToken({ alg, typ: 'JWT' }, payload, hmacSigner(hash, SECRET)) })
        expect(signed.status, label).toBe(400)
        expect(signed.body, label).toEqual({ statusCode: 400, message: 'token payload must be a JSON object of claims', errors: { token: { msg: 'token payload must be a JSON object of claims' } } })
        const forged = await createUser('plain', { token: rawToken({ alg, typ: 'JWT' }, payload, hmacSigner(hash, 'another-secret-of-sufficient-length-xxxxxx')) })
        expect(forged.status, label).toBe(403)
        expect(forged.body.message, label).toBe('invalid signature')
      }
    }
    expect(await respondentCount()).toBe(before)
  })

  it('403 algorithm not allowed for HS384, none (any case) and RS256', async () => {
    const attacks = [
      await token({ username: 'x' }, 'HS384'),
      rawToken({ alg: 'none', typ: 'JWT' }, { username: 'x' }, () => 'AAAA'),
      rawToken({ alg: 'None' }, { username: 'x' }, () => 'AAAA'),
      rawToken({ alg: 'NONE' }, { username: 'x' }, () => 'AAAA'),
      rawToken({ alg: 'HS256 ' }, { username: 'x' }, hmacSigner('sha256', SECRET)),
      rawToken({ alg: 'RS256' }, { username: 'x' }, hmacSigner('sha256', SECRET)),
      await rs256Token({ username: 'x' }),
    ]
    for (const attack of attacks) {
      const response = await createUser('plain', { token: attack })
      expect(response.status, attack.slice(0, 40)).toBe(403)
      expect(response.body.message).toMatch(/^algorithm not allowed/)
      expect(response.body.errors).toHaveProperty('alg')
    }
  })

  it('403 token expired, beyond the 30 s tolerance only', async () => {
    const expired = await createUser('plain', { token: await token({ username: 'exp1', exp: nowSeconds() - 60 }) })
    expect(expired.status).toBe(403)
    expect(expired.body).toMatchObject({ message: 'token expired', errors: { exp: { msg: 'token expired' } } })
    const withinTolerance = await createUser('plain', { token: await token({ username: 'exp2', exp: nowSeconds() - 5 }) })
    expect(withinTolerance.status).toBe(200)
  })

  it('403 token not yet valid (nbf) and issued in the future (iat)', async () => {
    const before = await respondentCount()
    const nbf = await createUser('plain', { token: await token({ username: 'nbf', nbf: nowSeconds() + 300 }) })
    expect(nbf.status).toBe(403)
    expect(nbf.body.message).toBe('token not yet valid')
    const iat = await createUser('plain', { token: await token({ username: 'iat', iat: nowSeconds() + 300 }) })
    expect(iat.status).toBe(403)
    expect(iat.body.errors).toHaveProperty('iat')
    expect(await respondentCount()).toBe(before)
  })

  it('403 when sub names another survey; sub ignoring case is fine', async () => {
    const wrong = await createUser('plain', { token: await token({ username: 'sub1', sub: 'study' }) })
    expect(wrong.status).toBe(403)
    expect(wrong.body.errors).toHaveProperty('sub')
    expect((await createUser('plain', { token: await token({ username: 'sub2', sub: 'PLAIN' }) })).status).toBe(200)
  })

  it('403 when aud does not include the configured public origin', async () => {
    const wrong = await createUser('plain', { token: await token({ username: 'aud1', aud: 'https://elsewhere.example.org' }) })
    expect(wrong.status).toBe(403)
    expect(wrong.body.errors).toHaveProperty('aud')
    expect((await createUser('plain', { token: await token({ username: 'aud2', aud: ['https://other.example', ORIGIN] }) })).status).toBe(200)
    expect((await createUser('plain', { token: await token({ username: 'aud3' }) })).status).toBe(200)
  })
})

describe('create-user — the survey\'s jwtPolicy', () => {
  const good = () => ({ username: `strict-${Math.random().toString(36).slice(2)}`, iat: nowSeconds(), exp: nowSeconds() + 300, iss: 'https://redcap.example.org', aud: ORIGIN, jti: crypto.randomUUID() })

  it('accepts a token meeting the whole policy', async () => {
    expect((await createUser('strict', { token: await token(good()) })).status).toBe(200)
  })

  it('requires exp, caps the lifetime, requires the issuer and the audience', async () => {
    const { exp: _exp, ...noExp } = good()
    const cases: [Record<string, unknown>, string][] = [
      [noExp, 'exp'],
      [{ ...good(), exp: nowSeconds() + 3600 }, 'exp'],
      [{ ...good(), iss: 'https://evil.example.org' }, 'iss'],
      [{ ...good(), iss: undefined }, 'iss'],
      [{ ...good(), aud: undefined }, 'aud'],
      [{ ...good(), jti: undefined }, 'jti'],
    ]
    for (const [payload, claim] of cases) {
      const response = await createUser('strict', { token: await token(JSON.parse(JSON.stringify(payload))) })
      expect(response.status, claim).toBe(403)
      expect(response.body.errors, claim).toHaveProperty(claim)
    }
  })

  it('single-use: a replayed jti is 403 and changes nothing', async () => {
    const payload = good()
    const first = await createUser('strict', { token: await token(payload) })
    expect(first.status).toBe(200)
    const replay = await createUser('strict', { token: await token({ ...payload, name: 'changed' }) })
    expect(replay.status).toBe(403)
    expect(replay.body.errors).toHaveProperty('jti')
    // A new token (another jti) for the same respondent is the existing respondent again; then it too is used.
    const again = { ...payload, jti: crypto.randomUUID() }
    const existing = await createUser('strict', { token: await token(again) })
    expect(existing.status).toBe(200)
    expect(existing.body).toMatchObject({ userId: first.body.userId, authToken: first.body.authToken })
    expect((await createUser('strict', { token: await token(again) })).status).toBe(403)
  })
})

describe('create-user — respondents', () => {
  it('stores name and custom fields when the survey keeps them, and updates only what a later token carries', async () => {
    const created = await createUser('study', { token: await token({ username: 'p-1', name: 'Ada', customFields: [{ name: 'cohort', value: 'A', public: true }, { name: 'nhs', value: 12345 }] }) })
    expect(created.status).toBe(200)
    expect(created.body).toMatchObject({ username: 'p-1', name: 'Ada', customFields: [{ name: 'cohort', value: 'A', public: true }, { name: 'nhs', value: '12345', public: false }] })

    const renamed = await createUser('study', { token: await token({ username: 'p-1', name: 'Ada L.' }) })
    expect(renamed.body).toMatchObject({ userId: created.body.userId, authToken: created.body.authToken, name: 'Ada L.' })
    expect(renamed.body.customFields).toHaveLength(2)

    const refielded = await createUser('study', { token: await token({ username: 'p-1', customFields: [{ name: 'cohort', value: 'B' }], redirectUrl: 'https://partner.example.org/r' }) })
    expect(refielded.body).toMatchObject({ name: 'Ada L.', customFields: [{ name: 'cohort', value: 'B', public: false }], redirectUrl: 'https://partner.example.org/r' })
  })

  it('does not keep name or custom fields for a survey that does not ask for them', async () => {
    const response = await createUser('plain', { token: await token({ username: 'no-pii', name: 'Bob', customFields: [{ name: 'x', value: '1' }] }) })
    expect(response.status).toBe(200)
    expect(response.body).not.toHaveProperty('name')
    expect(response.body).not.toHaveProperty('customFields')
    const record = (await findRespondent(server.db(), (await findSurveyBySlug(server.db(), 'plain'))!.id, 'no-pii'))!
    expect(record.user.name).toBeNull()
  })

  it('403 for a disabled respondent', async () => {
    const created = await createUser('plain', { token: await token({ username: 'gone' }) })
    await server.db().update(users).set({ disabled: true }).where(eq(users.id, Number(created.body.userId)))
    const again = await createUser('plain', { token: await token({ username: 'gone' }) })
    expect(again.status).toBe(403)
    expect(again.body.message).toMatch(/disabled/)
    expect(again.body.errors).toHaveProperty('username')
  })

  it('twelve concurrent first calls for one username create exactly one respondent, twelve 200s', async () => {
    const jwt = await token({ username: 'racer', password: 'Racing-pass1' })
    const responses = await Promise.all(Array.from({ length: 12 }, () => createUser('plain', { token: jwt })))
    expect(responses.map(r => r.status)).toEqual(Array(12).fill(200))
    expect(new Set(responses.map(r => r.body.authToken)).size).toBe(1)
    const racers = await server.db().select().from(respondents).where(eq(respondents.username, 'racer'))
    expect(racers).toHaveLength(1)
  })

  it('403 with the reason when the survey is suspended, not started or completed', async () => {
    const paused = await createUser('paused', { token: await token({ username: 'x' }) })
    expect(paused.status).toBe(403)
    expect(paused.body.message).toContain('Ethics review')
    expect((await createUser('later', { token: await token({ username: 'x' }) })).body.message).toMatch(/not started/)
    expect((await createUser('over', { token: await token({ username: 'x' }) })).body.message).toMatch(/closed/)
  })
})

describe('create-user — NumericDate claims out of range', () => {
  const END_OF_9999 = 253402300799

  it('400 naming the claim for exp, nbf or iat beyond year 9999 or negative, with or without single-use tokens; the range\'s ends and no exp are fine', async () => {
    const before = { respondents: await respondentCount(), usedTokens: await usedTokenCount() }
    const cases: [string, number][] = [
      ['exp', 1e300], ['exp', 8.64e12], ['exp', END_OF_9999 + 1], ['exp', -1], ['exp', -1e300],
      ['nbf', 1e300], ['nbf', -5],
      ['iat', 1e300], ['iat', 8.64e12], ['iat', -5],
    ]
    for (const slug of ['once', 'plain']) {
      for (const [claim, value] of cases) {
        const label = `${slug}: ${claim} = ${value}`
        const response = await createUser(slug, { token: await token({ username: `dates-${slug}`, jti: crypto.randomUUID(), [claim]: value }) })
        expect(response.status, label).toBe(400)
        expect(response.body.message, label).toBe(`${claim} claim is not valid`)
        expect(Object.keys(response.body.errors), label).toEqual([claim])
        expect(response.body.errors[claim].msg, label).toMatch(/NumericDate/)
      }
    }
    expect({ respondents: await respondentCount(), usedTokens: await usedTokenCount() }).toEqual(before)

    // The range's ends are accepted, and a token without exp still is (as in Intake24) unless the survey requires one.
    const latest = await createUser('once', { token: await token({ username: 'far-future', jti: crypto.randomUUID(), exp: END_OF_9999, nbf: 0, iat: nowSeconds() }) })
    expect(latest.status).toBe(200)
    const noExp = await createUser('once', { token: await token({ username: 'no-exp', jti: crypto.randomUUID() }) })
    expect(noExp.status).toBe(200)
    expect((await createUser('plain', { token: await token({ username: 'no-exp' }) })).status).toBe(200)
  })
})

describe('create-user — usernames as a person reads them', () => {
  const NFD = 'Jose\u0301'
  const NFC = 'Jos\u00E9'

  it('NFD then NFC "José" is one respondent, stored and answered in NFC; case stays significant', async () => {
    const first = await createUser('plain', { token: await token({ username: NFD }) })
    expect(first.status).toBe(200)
    expect(first.body.username).toBe(NFC)
    const second = await createUser('plain', { token: await token({ username: NFC }) })
    expect(second.status).toBe(200)
    expect(second.body).toMatchObject({ userId: first.body.userId, authToken: first.body.authToken, username: NFC })
    const plainId = (await findSurveyBySlug(server.db(), 'plain'))!.id
    expect((await findRespondent(server.db(), plainId, NFC))?.user.id).toBe(Number(first.body.userId))
    expect(await findRespondent(server.db(), plainId, NFD)).toBeUndefined()

    // Case stays significant, as in Intake24.
    const upper = await createUser('plain', { token: await token({ username: 'CaseName' }) })
    const lower = await createUser('plain', { token: await token({ username: 'casename' }) })
    expect(upper.status).toBe(200)
    expect(lower.status).toBe(200)
    expect(lower.body.userId).not.toBe(upper.body.userId)
  })

  it('400 errors.username for invisible, bidi, control and non-ASCII space characters, edge spaces and lone surrogates; visible ones are fine', async () => {
    const before = await respondentCount()
    const refused = [
      '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD', // zero-width, word joiner, BOM, soft hyphen
      '\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C', // bidi controls
      '\u00A0', '\u2007', '\u202F', '\u3000', '\u2028', '\u2029', '\u0085', '\u0009', // other spaces, separators, controls
      '\uD800', '\uDC00', // lone surrogates
    ]
    for (const char of refused) {
      for (const username of [`ab${char}cd`, `${char}abcd`, `abcd${char}`]) {
        const label = `${JSON.stringify(username)}`
        const response = await createUser('plain', { token: await token({ username }) })
        expect(response.status, label).toBe(400)
        expect(Object.keys(response.body.errors), label).toEqual(['username'])
        expect(response.body.errors.username.msg, label).toMatch(/^username must/)
      }
    }
    for (const username of [' abcd', 'abcd ', ' ']) {
      const response = await createUser('plain', { token: await token({ username }) })
      expect(response.status, JSON.stringify(username)).toBe(400)
      expect(response.body.errors.username.msg).toMatch(/start or end with a space/)
    }
    const surrogate = await createUser('plain', { token: await token({ username: 'x\uD800' }) })
    expect(surrogate.body.errors.username.msg).toMatch(/lone surrogate/)
    expect(await respondentCount()).toBe(before)

    // Ordinary spaces inside a username and visible characters outside ASCII are fine.
    for (const username of ['Ana María', '山田 太郎', 'Zoë-\u{1F600}', 'K\u00F8benhavn']) {
      const response = await createUser('plain', { token: await token({ username }) })
      expect(response.status, username).toBe(200)
      expect(response.body.username).toBe(username.normalize('NFC'))
    }
  })
})

describe('create-user — the server keeps survey rows between requests, never past a change', () => {
  const NEW_SECRET = 'a-rotated-partner-secret-0123456789-abcdefgh'
  // A change made by another connection (this test process; the CLI or another server in production):
  // SQLite's server sees it on its next request; PostgreSQL's hears of it by NOTIFY, within a second.
  const seen = async (check: () => Promise<void>) => testEngine === 'sqlite'
    ? await check()
    : await expect.poll(async () => check().then(() => true, () => false), { timeout: 5000 }).toBe(true)

  it('a rotated secret, a suspension and a new slug take effect at once', async () => {
    await upsertSurveys(server.db(), [{ ...base, slug: 'rotating', name: 'Rotating' }])
    expect((await createUser('rotating', { token: await token({ username: 'r1' }) })).status).toBe(200)

    await upsertSurveys(server.db(), [{ slug: 'rotating', genUserKey: NEW_SECRET }])
    await seen(async () => {
      expect((await createUser('rotating', { token: await token({ username: 'r2' }) })).status).toBe(403)
      expect((await createUser('rotating', { token: await token({ username: 'r2' }, 'HS256', NEW_SECRET) })).status).toBe(200)
    })

    await upsertSurveys(server.db(), [{ slug: 'rotating', state: 'suspended', suspensionReason: 'Paused' }])
    await seen(async () => {
      expect((await createUser('rotating', { token: await token({ username: 'r3' }, 'HS256', NEW_SECRET) })).status).toBe(403)
    })

    expect((await createUser('rotating-too', { token: await token({ username: 'r4' }) })).status).toBe(404)
    await upsertSurveys(server.db(), [{ ...base, slug: 'rotating-too', name: 'Rotating too' }])
    await seen(async () => {
      expect((await createUser('rotating-too', { token: await token({ username: 'r4' }) })).status).toBe(200)
    })
  })
})
