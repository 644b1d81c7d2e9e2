import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { beforeAll, describe, expect, it } from 'vitest'
import { createAccessToken } from '#server/services/access-tokens'
import { upsertSurveys } from '#server/services/surveys'
import { nowSeconds, signPartnerToken } from '../support/jwt'
import { request, url, useTestServer } from '../support/server'
import { accessTokenSecret } from '../support/tokens'

// Captcha verification points at a closed port, so the provider-unavailable path (which logs) runs too.
const server = await useTestServer({ NUXT_CAPTCHA_PROVIDER: 'hcaptcha', NUXT_CAPTCHA_SECRET: 'captcha-secret-value-123', NUXT_CAPTCHA_VERIFY_URL: 'http://127.0.0.1:9/siteverify' })
const SECRET = 'the-partner-secret-nobody-may-see-0123456789'
const PASSWORD = 'Private-pass77'

beforeAll(async () => {
  await upsertSurveys(server.db(), [
    { slug: 'secretive', name: 'Secretive', supportEmail: 'a@example.org', state: 'active', allowGenUsers: true, genUserKey: SECRET, userCustomFields: true, authCaptcha: true },
  ])
})

describe('secrets stay secret', () => {
  it('no response body or header and no server log line carries a secret, password, JWT or auth token', async () => {
    const seen: string[] = []
    const record = (response: { status: number, headers: Headers, body: unknown }) => {
      seen.push(JSON.stringify(response.body), ...[...response.headers.entries()].filter(([name]) => name !== 'set-cookie').map(([name, value]) => `${name}: ${value}`))
      return response
    }
    const jwt = await signPartnerToken(SECRET, { username: 'quiet', password: PASSWORD, exp: nowSeconds() + 600, customFields: [{ name: 'nhs', value: '943 476 5919' }] })
    const created = record(await request('/api/surveys/secretive/create-user', { method: 'POST', body: { token: jwt } }))
    expect(created.status).toBe(200)
    const authToken = (created.body as { authToken: string }).authToken

    record(await request('/api/surveys/secretive/create-user', { method: 'POST', body: { token: `${jwt}x` } }))
    record(await request('/api/surveys/secretive/create-user', { method: 'POST', body: { token: await signPartnerToken(SECRET, { username: 'quiet', exp: nowSeconds() - 999 }) } }))
    record(await request('/api/auth/login/alias', { method: 'POST', body: { survey: 'secretive', username: 'quiet', password: PASSWORD } }))
    record(await request('/api/auth/login/alias', { method: 'POST', body: { survey: 'secretive', username: 'quiet', password: PASSWORD, captcha: 'answer' } }))
    record(await request('/api/auth/login/token', { method: 'POST', body: { token: authToken, captcha: 'answer' } }))
    record(await request(`/api/surveys/secretive/create-user/${jwt}`, { method: 'POST', body: { token: jwt } }))
    record(await request('/api/surveys/secretive'))
    record(await request('/api/surveys'))
    const adminToken = (await createAccessToken(server.db(), { name: 'scan', scopes: ['surveys:read', 'respondents:read'] })).token
    record(await request('/api/admin/surveys', { headers: { authorization: `Bearer ${adminToken}` } }))
    record(await request('/api/admin/surveys/secretive/respondents', { headers: { authorization: `Bearer ${adminToken}` } }))
    record(await request('/api/admin/surveys', { headers: { authorization: `Bearer ${adminToken}x` } }))
    const login = await request('/api/auth/login/alias', { method: 'POST', body: { survey: 'secretive', username: 'quiet', password: PASSWORD, captcha: 'x' } })
    record(login)

    const logs = await server.logs()
    expect(logs).toContain('[captcha]') // the log was captured: the scan below is not vacuous
    for (const secret of [SECRET, PASSWORD, jwt, jwt.split('.')[2]!, 'captcha-secret-value-123']) {
      expect(seen.join('\n'), 'responses').not.toContain(secret)
      expect(logs, 'server log').not.toContain(secret)
    }
    // The partner sent the custom fields and gets them back; nobody else, and never the log.
    expect(logs).not.toContain('943 476 5919')
    expect(logs).not.toContain(authToken)
    expect(logs).not.toContain(accessTokenSecret(adminToken))
  })

  it('no log line carries a token from an address: auth and token query values, /a/ tokens, JWTs in paths, request errors included', async () => {
    // Hex: no character the checks below could confuse with a delimiter.
    const token = (label: string) => `${label}${randomBytes(16).toString('hex')}`
    const tokens = { plain: token('q'), encodedName: token('e'), tokenParam: token('t'), upper: token('u'), shortLink: token('a'), badEncoding: token('b'), nested: token('n') }
    const jwt = await signPartnerToken(SECRET, { username: 'logged', exp: nowSeconds() + 600 })
    const before = (await server.logs()).length
    const addresses = [
      `/no-such-survey?auth=${tokens.plain}`, // a 404 page: Nuxt's request-error log prints the whole address
      `/no-such-survey?x=1&%61uth=${tokens.encodedName}`,
      `/no-such-survey?token=${tokens.tokenParam}`,
      `/no-such-survey?AUTH=${tokens.upper}`,
      `/no-such-survey?auth=${tokens.badEncoding}%`, // the router warns, quoting the value it cannot decode
      `/_nuxt/A/${tokens.shortLink}`, // the router warns, quoting the address
      `/_nuxt/partner/create-user/${jwt}`,
      `/_nuxt/${jwt}`,
      `/no-such-survey?next=${encodeURIComponent(`/x?auth=${tokens.nested}`)}`,
    ]
    for (const address of addresses) expect((await request(address)).status, address).toBeLessThan(500)
    const logs = (await server.logs()).slice(before)
    expect(logs).toContain('/no-such-survey') // the log was captured: the scan below is not vacuous
    expect(logs).toContain('[redacted]')
    for (const secret of [...Object.values(tokens), jwt, jwt.split('.')[2]!]) expect(logs, secret).not.toContain(secret)
  })

  it('a client that disconnects in the middle of its request is one short log line, not a stack trace', async () => {
    const before = (await server.logs()).length
    const { hostname, port } = new URL(url('/'))
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        // Expect: 100-continue makes the server answer once it has the request, before the body.
        socket.write('POST /api/auth/login/alias HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n')
      })
      socket.once('data', () => {
        socket.write('{"survey":"secretive","usern')
        socket.destroy()
        resolve()
      })
      socket.once('error', reject)
    })
    let logs = ''
    for (let waited = 0; waited < 100 && !logs.includes('/api/auth/login/alias'); waited++) {
      await new Promise(resolve => setTimeout(resolve, 100))
      logs = (await server.logs()).slice(before)
    }
    expect(logs).toContain('/api/auth/login/alias')
    expect(logs).not.toMatch(/^\s+at /m)
    expect(logs.split('\n').filter(line => line.includes('/api/auth/login/alias'))).toHaveLength(1)
  })
})
