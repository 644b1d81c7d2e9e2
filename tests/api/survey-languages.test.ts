import { beforeAll, describe, expect, it } from 'vitest'
import { createAccessToken } from '#server/services/access-tokens'
import { request, useTestServer } from '../support/server'

// A survey's `languages`: which of the app's languages its respondents may pick (null: all of them).
const server = await useTestServer()
let token: string

beforeAll(async () => {
  token = (await createAccessToken(server.db(), { name: 'languages-test', scopes: ['surveys:read', 'surveys:write'] })).token
})

const admin = (path: string, method: string, body?: unknown) =>
  request(path, { method, body, headers: { authorization: `Bearer ${token}` } })
const survey = (slug: string, extra: object) => ({ slug, name: `Survey ${slug}`, supportEmail: 'team@example.org', state: 'active', allowGenUsers: true, ...extra })
const htmlLang = (html: string) => /<html\b[^>]*\blang="([^"]*)"/.exec(html)?.[1]

describe('survey languages', () => {
  it('the admin API refuses an unknown, repeated or empty list with a message per field', async () => {
    for (const [languages, field] of [[['fr', 'xx'], 'languages.1'], [['fr', 'fr'], 'languages'], [[], 'languages'], ['fr', 'languages']] as const) {
      const response = await admin('/api/admin/surveys', 'POST', survey('refused', { languages }))
      expect(response.status, JSON.stringify(languages)).toBe(400)
      expect(Object.keys(response.body.errors), JSON.stringify(languages)).toContain(field)
    }
    expect((await request('/api/surveys/refused')).status).toBe(404)
  })

  it('is kept, shown to administrators and in the public entry, and null means every language', async () => {
    const created = await admin('/api/admin/surveys', 'POST', survey('bilingual', { localeId: 'ar_AE', languages: ['ar', 'fr'] }))
    expect(created.status).toBe(201)
    expect(created.body.languages).toEqual(['ar', 'fr'])
    expect((await request('/api/surveys/bilingual')).body).toMatchObject({ localeId: 'ar_AE', languages: ['ar', 'fr'] })
    expect((await request('/api/surveys/bilingual')).body.languages).toEqual(['ar', 'fr'])

    const everything = await admin('/api/admin/surveys/bilingual', 'PATCH', { languages: null })
    expect(everything.status).toBe(200)
    expect(everything.body.languages).toBeNull()
    expect((await request('/api/surveys/bilingual')).body).not.toHaveProperty('languages')
    expect((await admin('/api/admin/surveys', 'POST', survey('default-languages', {}))).body.languages).toBeNull()
  })

  it('the survey page renders in an offered language only: a browser or a cookie asking for another is passed over', async () => {
    expect((await admin('/api/admin/surveys', 'POST', survey('french-only', { localeId: 'en_GB', languages: ['fr'] }))).status).toBe(201)
    const visitors: Record<string, string>[] = [{ 'accept-language': 'de' }, { 'accept-language': 'en-GB' }, { cookie: 'rg_locale=de' }]
    for (const headers of visitors) {
      const page = await request<string>('/french-only', { headers: { accept: 'text/html', ...headers } })
      expect(page.status).toBe(200)
      expect(htmlLang(String(page.body)), JSON.stringify(headers)).toBe('fr')
    }
    // Without the restriction the same visitor gets German.
    expect((await admin('/api/admin/surveys/french-only', 'PATCH', { languages: null })).status).toBe(200)
    const german = await request<string>('/french-only', { headers: { 'accept': 'text/html', 'accept-language': 'de' } })
    expect(htmlLang(String(german.body))).toBe('en-GB') // the survey's own language wins over the browser's
    const chosen = await request<string>('/french-only', { headers: { accept: 'text/html', cookie: 'rg_locale=de' } })
    expect(htmlLang(String(chosen.body))).toBe('de')
  })
})
