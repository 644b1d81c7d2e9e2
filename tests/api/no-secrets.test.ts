import { beforeAll, describe, expect, it } from 'vitest'
import { createAccessToken } from '../../server/services/access-tokens'
import { upsertSurveys } from '../../server/services/surveys'
import { nowSeconds, signPartnerToken } from '../support/jwt'
import { request, useTestServer } from '../support/server'

// Captcha verification points at a closed port, so the provider-unavailable path (which logs) runs too.
const server = await useTestServer({ NUXT_CAPTCHA_PROVIDER: 'hcaptcha', NUXT_CAPTCHA_SECRET: 'captcha-secret-value-123', NUXT_CAPTCHA_VERIFY_URL: 'http://127.0.0.1:9/siteverify' })
const SECRET = 'the-partner-secret-nobody-may-see-0123456789'
const PASSWORD = 'Private-pass77'

beforeAll(() => {
  upsertSurveys(server.db(), [
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
    const adminToken = createAccessToken(server.db(), { name: 'scan', scopes: ['surveys:read', 'respondents:read'] }).token
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
    expect(logs).not.toContain(adminToken.split('_')[2])
  })
})
