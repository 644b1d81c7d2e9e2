import { createHash } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { upsertSurveys } from '#server/services/surveys'
import { nowSeconds, signPartnerToken } from '../support/jwt'
import { request, useTestServer } from '../support/server'
import { testEngine } from '../support/engine'

const server = await useTestServer({ NUXT_TRUST_PROXY: '1' })

const GEN_USER_KEY = 'security-headers-partner-key-0123456789-abc'

beforeAll(async () => {
  await upsertSurveys(server.db(), [
    { slug: 'open', name: 'Open', supportEmail: 'a@example.org', state: 'active', allowGenUsers: true },
    { slug: 'partnered', name: 'Partnered', supportEmail: 'a@example.org', state: 'active', allowGenUsers: true, genUserKey: GEN_USER_KEY },
  ])
})

const pages = ['/', '/open', '/open/home', '/open/recall', '/a/some-token', '/open/create-user/a.b.c', '/no-such-survey', '/docs']
const api = ['/api/surveys', '/api/surveys/open', '/api/surveys/nope', '/api/nothing-here', '/api/openapi.json']

describe('security headers', () => {
  it('every page: a same-origin CSP that allows exactly its inline scripts (by hash), no framing, nosniff', async () => {
    for (const path of pages) {
      const response = await request(path)
      const csp = response.headers.get('content-security-policy') ?? ''
      expect(csp, path).toContain(`default-src 'self'`)
      expect(csp, path).toContain(`frame-ancestors 'none'`)
      expect(csp, path).not.toMatch(/script-src[^;]*'unsafe-inline'/)
      expect(csp, path).not.toMatch(/https?:\/\//)
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff')
      expect(response.headers.get('x-frame-options'), path).toBe('DENY')
      expect(response.headers.get('strict-transport-security'), path).toBeNull()
      if (path !== '/docs') {
        const inlineScripts = [...String(response.body).matchAll(/<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")[^>]*>([\s\S]*?)<\/script>/g)].map(match => match[1]!)
        expect(inlineScripts.length, path).toBeGreaterThan(0)
        const allowed = [...csp.matchAll(/'sha256-([^']+)'/g)].map(match => match[1])
        expect(allowed.sort(), path).toEqual(inlineScripts.map(script => createHash('sha256').update(script).digest('base64')).sort())
      }
    }
  })

  it('public pages come from a short-lived cache with the same headers, and follow survey changes at once', async () => {
    const first = await request('/open')
    const second = await request('/open')
    expect(second.headers.get('x-page-cache')).toBe('hit')
    expect(second.body).toBe(first.body)
    expect(second.headers.get('content-security-policy')).toBe(first.headers.get('content-security-policy'))
    expect(second.headers.get('x-content-type-options')).toBe('nosniff')
    await upsertSurveys(server.db(), [{ slug: 'open', name: 'Open (renamed)' }])
    // SQLite: the server sees another connection's commit on its next request (data_version). PostgreSQL:
    // the change reaches it through NOTIFY within a second (the written goal), not necessarily at once.
    if (testEngine === 'postgres') await new Promise(resolve => setTimeout(resolve, 1000))
    const third = await request('/open')
    expect(third.headers.get('x-page-cache')).toBeNull()
    expect(third.body).toContain('Open (renamed)')
    expect((await request('/open?x=1')).headers.get('x-page-cache')).toBeNull()
    expect((await request('/open?auth=abc')).headers.get('referrer-policy')).toBe('no-referrer')
  })

  it('every API answer: a CSP that allows nothing, nosniff', async () => {
    for (const path of api) {
      const response = await request(path)
      expect(response.headers.get('content-security-policy'), path).toBe(`default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`)
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff')
    }
  })

  it('no-referrer on addresses that carry a token; same-origin elsewhere', async () => {
    for (const path of ['/a/some-token', '/open/create-user/a.b.c?redirect=recall', '/open?auth=abc', '/open/feedback?auth=abc'])
      expect((await request(path)).headers.get('referrer-policy'), path).toBe('no-referrer')
    for (const path of ['/', '/open', '/api/surveys'])
      expect((await request(path)).headers.get('referrer-policy'), path).toBe('same-origin')
  })

  it('no-store and no-referrer on every page whose address carries a token as the app reads one, error pages included; never from the page cache', async () => {
    const carrying = [
      '/a/some-token', '/A/some-token', '/%61/some-token', '/a/some-token?x=1',
      '/open/create-user/a.b.c', '/Open/Create-User/a.b.c', '/open/%63reate-user/a.b.c?redirect=recall',
      '/open?auth=abc', '/open?%61uth=abc', '/open?%61%75%74%68=abc', '/open?x=1&auth=abc', '/open?auth', '/open/home?auth=abc', '/open/feedback?%61uth=abc',
      '/no-such-survey?auth=abc', '/no-such-survey?%61uth=abc', // 404 pages: Nuxt renders them with a request of its own
    ]
    for (const path of carrying) {
      for (let attempt = 0; attempt < 2; attempt++) {
        const response = await request(path)
        expect(response.headers.get('cache-control'), path).toBe('no-store')
        expect(response.headers.get('referrer-policy'), path).toBe('no-referrer')
        expect(response.headers.get('x-page-cache'), path).toBeNull()
      }
    }
    // Not the app's parameter: its router reads `auth` exactly, case included, after decoding the name once.
    for (const path of ['/open?AUTH=abc', '/open?authx=abc', '/open?%2561uth=abc', '/open?x=auth']) {
      const response = await request(path)
      expect(response.headers.get('referrer-policy'), path).toBe('same-origin')
      expect(response.headers.get('cache-control') ?? '', path).not.toContain('no-store')
    }
  })

  it('no-store on every answer of sign-in, refresh, create-user and generate-user, errors included', async () => {
    const jwt = await signPartnerToken(GEN_USER_KEY, { username: 'headers', exp: nowSeconds() + 600 })
    const created = await request<{ authToken: string }>('/api/surveys/partnered/create-user', { method: 'POST', body: { token: jwt } })
    expect(created.status).toBe(200)
    const generated = await request<{ username: string, password: string }>('/api/surveys/open/generate-user', { method: 'POST', body: {} })
    expect(generated.status).toBe(200)
    const tokenLogin = await request('/api/auth/login/token', { method: 'POST', body: { token: created.body.authToken } })
    expect(tokenLogin.status).toBe(200)
    const aliasLogin = await request('/api/auth/login/alias', { method: 'POST', body: { survey: 'open', username: generated.body.username, password: generated.body.password } })
    expect(aliasLogin.status).toBe(200)
    const cookie = tokenLogin.headers.getSetCookie().find(value => value.startsWith('rg_refresh='))!.split(';')[0]!
    const refreshed = await request('/api/auth/refresh', { method: 'POST', headers: { cookie } })
    expect(refreshed.status).toBe(200)
    const answers = {
      created, generated, tokenLogin, aliasLogin, refreshed,
      createUserRefused: await request('/api/surveys/partnered/create-user', { method: 'POST', body: { token: `${jwt}x` } }),
      generateUserInvalid: await request('/api/surveys/open/generate-user', { method: 'POST', rawBody: '{', headers: { 'content-type': 'application/json' } }),
      tokenLoginRefused: await request('/api/auth/login/token', { method: 'POST', body: { token: 'not-a-token' } }),
      aliasLoginInvalid: await request('/api/auth/login/alias', { method: 'POST', body: {} }),
      refreshRefused: await request('/api/auth/refresh', { method: 'POST' }),
    }
    for (const [name, response] of Object.entries(answers)) expect(response.headers.get('cache-control'), name).toBe('no-store')
  })

  it('static assets are nosniff too', async () => {
    const page = await request('/open')
    const asset = /\/_nuxt\/[^"]+\.js/.exec(String(page.body))![0]
    const response = await request(asset)
    expect(response.status).toBe(200)
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect((await request('/docs/assets/redoc.standalone.js')).headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('HSTS when served over https (behind a trusted proxy)', async () => {
    const response = await request('/open', { headers: { 'x-forwarded-proto': 'https' } })
    expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains')
    expect((await request('/api/surveys', { headers: { 'x-forwarded-proto': 'https' } })).headers.get('strict-transport-security')).toContain('max-age=')
  })

  it('allows hCaptcha\'s origins only when hCaptcha is on', async () => {
    await server.restart({ NUXT_CAPTCHA_PROVIDER: 'hcaptcha', NUXT_PUBLIC_CAPTCHA_SITE_KEY: 'site-key' })
    const csp = (await request('/open')).headers.get('content-security-policy')!
    expect(csp).toMatch(/script-src 'self'( 'sha256-[^']+')+ https:\/\/hcaptcha\.com https:\/\/\*\.hcaptcha\.com/)
    expect(csp).toContain('frame-src https://hcaptcha.com https://*.hcaptcha.com')
    await server.restart()
  })
})
