import { beforeAll, describe, expect, it } from 'vitest'
import { createAccessToken } from '#server/services/access-tokens'
import { request, useTestServer } from '../support/server'

// A survey's `languages`: which of the app's languages its respondents may pick (null: all of them); and
// the order of what decides a survey page's language, on the seeded demo survey (localeId en_GB).
const server = await useTestServer({ NUXT_SEED_DEMO: 'true' })
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
    // Without the restriction the same visitors get German, and English (the survey's localeId, en_GB) for a browser naming none of ours.
    expect((await admin('/api/admin/surveys/french-only', 'PATCH', { languages: null })).status).toBe(200)
    const german = await request<string>('/french-only', { headers: { 'accept': 'text/html', 'accept-language': 'de' } })
    expect(htmlLang(String(german.body))).toBe('de')
    const chosen = await request<string>('/french-only', { headers: { accept: 'text/html', cookie: 'rg_locale=de' } })
    expect(htmlLang(String(chosen.body))).toBe('de')
    const dutch = await request<string>('/french-only', { headers: { 'accept': 'text/html', 'accept-language': 'nl-NL' } })
    expect(htmlLang(String(dutch.body))).toBe('en-GB')
  })

  it('takes the first of the browser\'s languages the survey offers, else its localeId; the page cache keeps them apart', async () => {
    expect((await admin('/api/admin/surveys', 'POST', survey('fr-or-es', { localeId: 'fr_FR', languages: ['fr', 'es'] }))).status).toBe(201)
    const langOf = async (acceptLanguage: string) => {
      const page = await request<string>('/fr-or-es', { headers: { 'accept': 'text/html', 'accept-language': acceptLanguage } })
      return { lang: htmlLang(String(page.body)), cached: page.headers.get('x-page-cache') === 'hit' }
    }
    expect(await langOf('de, es;q=0.5')).toEqual({ lang: 'es', cached: false })
    expect(await langOf('de, es;q=0.5')).toEqual({ lang: 'es', cached: true })
    expect((await langOf('de, fr;q=0.5')).lang).toBe('fr')
    expect((await langOf('de')).lang).toBe('fr')
    expect((await langOf('de, es;q=0.5')).lang).toBe('es')
  })

  it('/demo with Accept-Language: de is German, rendered on the server (the HTML, no JavaScript), though the survey is en_GB', async () => {
    const demo = await request<string>('/demo', { headers: { 'accept': 'text/html', 'accept-language': 'de' } })
    expect(demo.status).toBe(200)
    const html = String(demo.body)
    expect(htmlLang(html)).toBe('de')
    expect(html).toContain('Demo survey')
    for (const german of ['Anmelden', 'Benutzername', 'Passwort', 'Zum ersten Mal hier?', 'Sprache']) expect(html).toContain(german)
    expect(html).not.toContain('Password')
    expect(demo.headers.get('vary')).toMatch(/Accept-Language/i)
    const english = await request<string>('/demo', { headers: { 'accept': 'text/html', 'accept-language': 'nl' } })
    expect(htmlLang(String(english.body))).toBe('en-GB')
    expect(String(english.body)).toContain('Password')
  })
})
