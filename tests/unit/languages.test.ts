import { describe, expect, it } from 'vitest'
import { acceptedLanguages, browserLanguage, browserLanguages, cookieLanguage, LANGUAGES, matchLanguage, pageLanguage, requestLanguageKey } from '../../i18n/languages'

describe('which language a page is in', () => {
  it('finds our language for survey locales and browser tags, whole tag first, then the language', () => {
    const cases: Record<string, string | undefined> = {
      'en_GB': 'en-GB', 'en_US': 'en-GB', 'en': 'en-GB', 'fr_FR': 'fr', 'fr-CA': 'fr', 'es_MX': 'es', 'pt_PT': 'pt-PT', 'pt-BR': 'pt-PT',
      'de_AT': 'de', 'ar_AE': 'ar', 'AR-eg': 'ar', 'zh_CN': 'zh-Hans', 'zh-Hans-SG': 'zh-Hans', 'zh': 'zh-Hans', 'ms_MY': 'ms',
      'zh_TW': undefined, 'zh-Hant': undefined, 'zh-HK': undefined, 'nl_NL': undefined, 'x': undefined, '': undefined, '*': undefined,
    }
    for (const [tag, language] of Object.entries(cases)) expect(matchLanguage(tag), tag).toBe(language)
    for (const { code } of LANGUAGES) expect(matchLanguage(code)).toBe(code)
  })

  it('reads Accept-Language by preference, leaving out q=0 and *', () => {
    expect(acceptedLanguages('de-DE,de;q=0.9,en;q=0.8')).toEqual(['de-DE', 'de', 'en'])
    expect(acceptedLanguages('en;q=0.5, fr;q=0.9, ar')).toEqual(['ar', 'fr', 'en'])
    expect(acceptedLanguages('de;q=0, *;q=0.1, es')).toEqual(['es'])
    expect(acceptedLanguages('')).toEqual([])
    expect(acceptedLanguages(undefined)).toEqual([])
    expect(browserLanguage(acceptedLanguages('nl-NL, zh-TW;q=0.9, pt-BR;q=0.8'))).toBe('pt-PT')
    expect(browserLanguage(['ja', 'ko'])).toBeUndefined()
    expect(browserLanguages(['de-AT', 'de', 'en-US', 'ja', 'pt-BR', 'en'])).toEqual(['de', 'en-GB', 'pt-PT'])
  })

  it('takes the language cookie only when it names one of our languages', () => {
    expect(cookieLanguage('rg_locale=fr')).toBe('fr')
    expect(cookieLanguage('a=1; rg_locale=zh-Hans; b=2')).toBe('zh-Hans')
    expect(cookieLanguage('rg_locale="ar"')).toBe('ar')
    for (const header of ['xrg_locale=fr', 'rg_locale=FR', 'rg_locale=xx', 'rg_locale=%E0%A4%A', 'rg_locale=', '', undefined]) expect(cookieLanguage(header), String(header)).toBeUndefined()
  })

  it('decides: the choice, else the browser\'s language, else the survey\'s (localeId), else English; a survey\'s own list of languages wins', () => {
    expect(pageLanguage({})).toBe('en-GB')
    expect(pageLanguage({ browser: ['de'] })).toBe('de')
    expect(pageLanguage({ browser: ['de'], survey: { localeId: 'fr_FR' } })).toBe('de')
    expect(pageLanguage({ browser: ['nl', 'ja'], survey: { localeId: 'fr_FR' } })).toBe('fr')
    expect(pageLanguage({ survey: { localeId: 'ar_AE' } })).toBe('ar')
    expect(pageLanguage({ browser: ['de'], survey: { localeId: 'nl_NL' } })).toBe('de')
    expect(pageLanguage({ browser: ['nl'], survey: { localeId: 'nl_NL' } })).toBe('en-GB')
    expect(pageLanguage({ cookie: 'ar', browser: ['de'], survey: { localeId: 'fr_FR' } })).toBe('ar')
    expect(pageLanguage({ cookie: 'ar', survey: { localeId: 'fr_FR', languages: ['fr', 'en-GB'] } })).toBe('fr')
    expect(pageLanguage({ cookie: 'ar', browser: ['de', 'en-US'], survey: { localeId: 'fr_FR', languages: ['fr', 'en-GB'] } })).toBe('en-GB')
    expect(pageLanguage({ browser: ['de', 'es'], survey: { localeId: 'fr_FR', languages: ['fr', 'es'] } })).toBe('es')
    expect(pageLanguage({ browser: ['en-US'], survey: { localeId: 'nl_NL', languages: ['ms', 'en-GB'] } })).toBe('en-GB')
    expect(pageLanguage({ browser: ['de'], survey: { localeId: 'nl_NL', languages: ['ms', 'en-GB'] } })).toBe('ms')
    expect(pageLanguage({ survey: { localeId: 'en_GB', languages: [] } })).toBe('en-GB')
  })

  it('keys the page cache by the cookie\'s language and the browser\'s languages we have, in order: nothing else in the headers counts', () => {
    expect(requestLanguageKey('rg_locale=fr', 'de')).toBe('cookie:fr browser:de')
    expect(requestLanguageKey('rg_locale=xx', 'de-AT,de;q=0.9')).toBe('cookie:- browser:de')
    expect(requestLanguageKey(undefined, 'de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7,nl;q=0.6')).toBe('cookie:- browser:de,en-GB')
    expect(requestLanguageKey(undefined, 'de, es')).not.toBe(requestLanguageKey(undefined, 'de, fr'))
    expect(requestLanguageKey(undefined, 'de-DE')).toBe(requestLanguageKey('', 'de;q=0.5'))
    expect(requestLanguageKey(undefined, undefined)).toBe('cookie:- browser:-')
    expect(requestLanguageKey(undefined, 'ja, x-klingon, *')).toBe('cookie:- browser:-')
    const keys = new Set<string>()
    for (const cookie of [undefined, 'rg_locale=nonsense', ...LANGUAGES.map(({ code }) => `rg_locale=${code}`)]) {
      for (const accept of [undefined, 'ja', 'x'.repeat(5000), ...LANGUAGES.map(({ code }) => `${code}-XX;q=0.9`)]) keys.add(requestLanguageKey(cookie, accept))
    }
    expect(keys.size).toBe((LANGUAGES.length + 1) * (LANGUAGES.length + 1))
  })
})
