import { beforeAll, describe, expect, it } from 'vitest'
import { upsertSurveys } from '#server/services/surveys'
import { request, useTestServer } from '../support/server'

// Server-rendered pages over HTTP, no JavaScript: the language a page is in, and the page cache's copies.
const server = await useTestServer()

beforeAll(async () => {
  await upsertSurveys(server.db(), [
    { slug: 'study', name: 'Diet study', supportEmail: 'study@example.org', state: 'active', allowGenUsers: true },
    { slug: 'etude', name: 'Étude alimentaire', localeId: 'fr_FR', supportEmail: 'etude@example.org', state: 'active', allowGenUsers: true },
    { slug: 'studie-nl', name: 'Voedingsstudie', localeId: 'nl_NL', supportEmail: 'nl@example.org', state: 'active', allowGenUsers: true },
  ])
})

async function page(path: string, headers: Record<string, string> = {}) {
  const response = await request<string>(path, { headers })
  expect(response.status, path).toBe(200)
  const html = String(response.body)
  const root = /<html\b([^>]*)>/.exec(html)?.[1] ?? ''
  return {
    html,
    lang: /\blang="([^"]*)"/.exec(root)?.[1],
    dir: /\bdir="([^"]*)"/.exec(root)?.[1],
    cached: response.headers.get('x-page-cache') === 'hit',
    vary: response.headers.get('vary'),
    setCookie: response.headers.get('set-cookie'),
  }
}

const GERMAN_HOME = 'Umfragen für alle'
const ENGLISH_HOME = 'Surveys open to everyone'

describe('the language of server-rendered pages', () => {
  it('/ follows Accept-Language, and a German visitor never gets the cached English page (nor the other way round)', async () => {
    const english = await page('/')
    expect(english).toMatchObject({ lang: 'en-GB', dir: 'ltr' })
    expect(english.html).toContain(ENGLISH_HOME)
    // Kept: asked again, it comes from the cache. On PostgreSQL the survey change of beforeAll reaches the
    // server's cache as a NOTIFY, which a loaded machine can deliver after this first render (the copy
    // is then dropped as stale, rightly): wait for the copy that stays.
    await expect.poll(async () => (await page('/')).cached).toBe(true)

    for (let attempt = 0; attempt < 2; attempt++) {
      const german = await page('/', { 'accept-language': 'de-DE,de;q=0.9,en;q=0.8' })
      expect(german).toMatchObject({ lang: 'de', dir: 'ltr', cached: attempt === 1 })
      expect(german.html).toContain(GERMAN_HOME)
      expect(german.html).not.toContain(ENGLISH_HOME)
    }
    const englishAgain = await page('/')
    expect(englishAgain).toMatchObject({ lang: 'en-GB', cached: true })
    expect(englishAgain.html).toContain(ENGLISH_HOME)
    const american = await page('/', { 'accept-language': 'en-US,en;q=0.9' })
    expect(american.lang).toBe('en-GB')
    expect(american.html).toContain(ENGLISH_HOME)
  })

  it('the language cookie wins over Accept-Language and over the survey\'s language, also after other languages were cached', async () => {
    await page('/study')
    await page('/study', { 'accept-language': 'de' })
    for (let attempt = 0; attempt < 2; attempt++) {
      const french = await page('/study', { 'cookie': 'rg_locale=fr', 'accept-language': 'de' })
      expect(french).toMatchObject({ lang: 'fr', cached: attempt === 1 })
      expect(french.html).toContain('Mot de passe')
      expect(french.html).not.toContain('Passwort')
    }
    const germanChoice = await page('/etude', { cookie: 'other=1; rg_locale=de' })
    expect(germanChoice.lang).toBe('de')
    expect(germanChoice.html).toContain('Passwort')
  })

  it('a survey\'s page is in the browser\'s language when we have it, else in the survey\'s language (localeId)', async () => {
    for (const acceptLanguage of ['nl-NL,nl;q=0.9', 'ja', '']) {
      const french = await page('/etude', acceptLanguage ? { 'accept-language': acceptLanguage } : {})
      expect(french.lang, acceptLanguage).toBe('fr')
      expect(french.html).toContain('Mot de passe')
      expect(french.html).toContain('<title>Étude alimentaire — Respondent Gateway</title>')
    }
    const german = await page('/etude', { 'accept-language': 'de' })
    expect(german.lang).toBe('de')
    expect(german.html).toContain('Passwort')
    expect(german.html).toContain('<title>Étude alimentaire — Respondent Gateway</title>')
    expect((await page('/etude', { 'accept-language': 'en-US,en;q=0.9' })).lang).toBe('en-GB')
    expect((await page('/etude', { 'accept-language': 'nl, fr;q=0.5, de;q=0.4' })).lang).toBe('fr')
    // An English survey is German for a German browser.
    expect((await page('/study', { 'accept-language': 'de' })).lang).toBe('de')
  })

  it('a survey in a language we do not have follows the browser: German for Accept-Language: de', async () => {
    const german = await page('/studie-nl', { 'accept-language': 'de' })
    expect(german).toMatchObject({ lang: 'de', dir: 'ltr' })
    expect(german.html).toContain('Passwort')
    expect(german.html).toContain('Zum ersten Mal hier?')
    const english = await page('/studie-nl', { 'accept-language': 'nl-NL,nl;q=0.9' })
    expect(english.lang).toBe('en-GB')
    expect(english.html).toContain('Password')
  })

  it('Arabic is right-to-left; regional and script variants find their language; unknown cookie values are passed over', async () => {
    const arabic = await page('/', { 'accept-language': 'ar-AE' })
    expect(arabic).toMatchObject({ lang: 'ar', dir: 'rtl' })
    expect(arabic.html).toContain('استبيانات مفتوحة للجميع')
    expect((await page('/', { 'accept-language': 'zh-CN,zh;q=0.9' })).lang).toBe('zh-Hans')
    expect((await page('/', { 'accept-language': 'zh-TW' })).lang).toBe('en-GB')
    expect((await page('/', { 'accept-language': 'pt-BR' })).lang).toBe('pt-PT')
    expect((await page('/', { 'accept-language': 'fr-CA;q=0.5, ms-MY' })).lang).toBe('ms')
    expect((await page('/', { 'accept-language': 'de;q=0, es' })).lang).toBe('es')
    expect((await page('/', { 'cookie': 'rg_locale=xx', 'accept-language': 'de' })).lang).toBe('de')
    expect((await page('/', { cookie: 'rg_locale=<script>' })).lang).toBe('en-GB')
  })

  it('answers say they vary with Accept-Language and Cookie, and never set the language cookie themselves', async () => {
    for (const path of ['/', '/study', '/etude']) {
      for (const headers of [{}, { 'accept-language': 'de' }, { cookie: 'rg_locale=ar' }] as Record<string, string>[]) {
        const answer = await page(path, headers)
        expect(answer.vary, path).toMatch(/Accept-Language/i)
        expect(answer.vary, path).toMatch(/Cookie/i)
        expect(answer.setCookie, path).toBeNull()
      }
    }
  })

  it('the messages of each language are served as JSON; any other code is a 404, never a 500', async () => {
    for (const code of ['fr', 'ar', 'zh-Hans']) {
      const answer = await request<Record<string, { language: { label: string } }>>(`/_i18n/0123abcd/${code}/messages.json`, { headers: { accept: 'application/json' } })
      expect(answer.status, code).toBe(200)
      expect(answer.body[code]!.language.label, code).toBeTruthy()
    }
    for (const code of ['constructor', '__proto__', 'toString', 'hasOwnProperty', '%63onstructor', 'xx', 'FR', '']) {
      const answer = await request(`/_i18n/0123abcd/${code}/messages.json`, { headers: { accept: 'application/json' } })
      expect(answer.status, code).toBe(404)
      expect(answer.body, code).toEqual({ statusCode: 404, message: 'Not found.' })
    }
    expect(await server.logs()).not.toMatch(/TypeError|\[request error\]/)
  })
})
