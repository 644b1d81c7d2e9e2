import { describe, expect, it, beforeAll } from 'vitest'
import { upsertSurveys } from '#server/services/surveys'
import { request, url, useTestServer } from '../support/server'

const server = await useTestServer()

const base = { supportEmail: 'team@example.org', state: 'active' as const }

beforeAll(async () => {
  await upsertSurveys(server.db(), [
    { ...base, slug: 'open-b', name: 'Beta open survey', allowGenUsers: true, authCaptcha: true, authModes: ['username'] },
    { ...base, slug: 'Open_A', name: 'Alpha open survey', allowGenUsers: true, originatingUrl: 'https://study.example.org/' },
    { ...base, slug: 'partner', name: 'Partner only', allowGenUsers: true, genUserKey: 'p'.repeat(40) },
    { ...base, slug: 'closed', name: 'Closed open survey', allowGenUsers: true, state: 'completed' },
    { ...base, slug: 'ended', name: 'Ended by date', allowGenUsers: true, endDate: '2020-01-01T00:00:00Z' },
    { ...base, slug: 'no-gen', name: 'No generation', allowGenUsers: false },
    { ...base, slug: 'suspended', name: 'Paused open survey', allowGenUsers: true, state: 'suspended', suspensionReason: 'Server maintenance' },
    { ...base, slug: 'a_c', name: 'Underscore survey', allowGenUsers: false },
  ])
})

describe('GET /api/surveys', () => {
  it('lists open-access surveys that are not completed, sorted by name, as public entries', async () => {
    const response = await request('/api/surveys')
    expect(response.status).toBe(200)
    const names = (response.body as { name: string }[]).map(survey => survey.name)
    expect(names).toEqual(['Alpha open survey', 'Beta open survey', 'Paused open survey'])
    expect(response.body[0]).toEqual({
      id: expect.any(String),
      slug: 'Open_A',
      name: 'Alpha open survey',
      localeId: 'en_GB',
      originatingUrl: 'https://study.example.org/',
      supportEmail: 'team@example.org',
      openAccess: true,
      authCaptcha: false,
      authModes: ['username', 'token'],
    })
    expect(response.body[1]).toMatchObject({ slug: 'open-b', authCaptcha: true, authModes: ['username'] })
  })

  it('never lists a partner survey or shows a secret', async () => {
    const response = await request('/api/surveys')
    const text = JSON.stringify(response.body)
    expect(text).not.toContain('partner')
    expect(text).not.toContain('p'.repeat(40))
    expect(text).not.toContain('genUserKey')
  })
})

describe('GET /api/surveys/{slug}', () => {
  it('returns the public entry of any survey, looked up ignoring case', async () => {
    const response = await request('/api/surveys/PARTNER')
    expect(response.status).toBe(200)
    expect(response.body).toEqual({
      id: expect.stringMatching(/^\d+$/),
      slug: 'partner',
      name: 'Partner only',
      localeId: 'en_GB',
      originatingUrl: null,
      supportEmail: 'team@example.org',
      openAccess: false,
      authCaptcha: false,
      authModes: ['username', 'token'],
    })
    expect(JSON.stringify(response.body)).not.toContain('p'.repeat(40))
  })

  it('answers an unknown slug with 404 and the JSON error body', async () => {
    const response = await request('/api/surveys/unknown')
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toContain('application/json')
    expect(response.body).toEqual({ statusCode: 404, message: 'Survey not found.' })
  })

  it('treats _ and % as ordinary characters, not patterns', async () => {
    expect((await request('/api/surveys/a_c')).status).toBe(200)
    expect((await request('/api/surveys/a_b')).status).toBe(404)
    expect((await request('/api/surveys/A%25')).status).toBe(404)
    expect((await request('/api/surveys/%25')).status).toBe(404)
    expect((await request('/api/surveys/open_b')).status).toBe(404)
  })

  it('reports availability with the suspension reason', async () => {
    const response = await request('/api/surveys/suspended/availability')
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ state: 'suspended', suspensionReason: 'Server maintenance', acceptingRespondents: false })
    const ended = await request('/api/surveys/ended/availability')
    expect(ended.body).toMatchObject({ state: 'completed', acceptingRespondents: false })
  })
})

describe('errors on every API route', () => {
  it('answers unknown API paths with a 404 JSON body', async () => {
    const response = await request('/api/does/not/exist')
    expect(response.status).toBe(404)
    expect(response.body).toEqual({ statusCode: 404, message: expect.any(String) })
  })
})

describe('methods', () => {
  it('answers a known API path asked with another method with 405 and Allow', async () => {
    const response = await request('/api/surveys', { method: 'DELETE' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, HEAD')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.body).toEqual({ statusCode: 405, message: expect.stringContaining('use GET') })
    const session = await request('/api/surveys/open-b/session', { method: 'PATCH', body: {} })
    expect(session.status).toBe(405)
    expect(session.headers.get('allow')).toBe('POST, PUT, DELETE')
    expect((await request('/api/surveys/open-b/create-user', { method: 'GET' })).status).toBe(405)
  })

  it('answers HEAD on a GET endpoint like GET, without a body', async () => {
    for (const path of ['/api/surveys', '/api/surveys/open-b']) {
      const get = await fetch(url(path))
      const head = await fetch(url(path), { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'))
      expect(head.headers.get('content-security-policy')).toBe(get.headers.get('content-security-policy'))
      expect(await head.text()).toBe('')
      expect(Number(head.headers.get('content-length') ?? 0)).toBeLessThanOrEqual(Number(get.headers.get('content-length') ?? Infinity))
    }
    expect((await fetch(url('/api/surveys/nope'), { method: 'HEAD' })).status).toBe(404)
    const headOnPost = await fetch(url('/api/surveys/open-b/create-user'), { method: 'HEAD' })
    expect(headOnPost.status).toBe(405)
    expect(headOnPost.headers.get('allow')).toBe('POST')
  })
})

describe('pages', () => {
  it('/ lists the open surveys with links, server-rendered', async () => {
    const response = await request('/')
    expect(response.status).toBe(200)
    expect(response.body).toContain('Alpha open survey')
    expect(response.body).toContain('href="/Open_A"')
    expect(response.body).not.toContain('Partner only')
  })

  it('/{slug} shows the name, support e-mail and why it is not active', async () => {
    const response = await request('/suspended')
    expect(response.status).toBe(200)
    expect(response.body).toContain('Paused open survey')
    expect(response.body).toContain('mailto:team@example.org')
    expect(response.body).toContain('Server maintenance')
  })

  it('/{slug} for an unknown survey is a not-found page', async () => {
    const response = await request('/no-such-survey')
    expect(response.status).toBe(404)
    expect(response.body).toContain('Survey not found')
  })
})
