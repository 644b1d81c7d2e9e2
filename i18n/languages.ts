/**
 * The languages of the respondent pages, one line each; a language's messages are in
 * `i18n/locales/{code}.json`. See docs/languages.md for adding one.
 *
 * - `code`: the BCP 47 tag, also `<html lang>` and the value of the language cookie.
 * - `name`: the language named in itself, as the language menu shows it.
 * - `plural`: the CLDR plural categories its messages write, in that order ("a | b | c").
 *   Categories not listed (French "many" for a million, say) use the last form.
 * - `hcaptcha`: the language code hCaptcha's widget takes.
 */
export const LANGUAGES = [
  { code: 'en-GB', name: 'English', dir: 'ltr', plural: ['one', 'other'], hcaptcha: 'en' },
  { code: 'fr', name: 'Français', dir: 'ltr', plural: ['one', 'other'], hcaptcha: 'fr' },
  { code: 'es', name: 'Español', dir: 'ltr', plural: ['one', 'other'], hcaptcha: 'es' },
  { code: 'pt-PT', name: 'Português', dir: 'ltr', plural: ['one', 'other'], hcaptcha: 'pt' },
  { code: 'de', name: 'Deutsch', dir: 'ltr', plural: ['one', 'other'], hcaptcha: 'de' },
  { code: 'ar', name: 'العربية', dir: 'rtl', plural: ['zero', 'one', 'two', 'few', 'many', 'other'], hcaptcha: 'ar' },
  { code: 'zh-Hans', name: '简体中文', dir: 'ltr', plural: ['other'], hcaptcha: 'zh-CN' },
  { code: 'ms', name: 'Bahasa Melayu', dir: 'ltr', plural: ['other'], hcaptcha: 'ms' },
] as const satisfies readonly Language[]

export interface Language {
  code: string
  name: string
  dir: 'ltr' | 'rtl'
  plural: readonly Intl.LDMLPluralRule[]
  hcaptcha: string
}

export type LanguageCode = typeof LANGUAGES[number]['code']

export const DEFAULT_LANGUAGE: LanguageCode = 'en-GB'
/** Where the respondent's own choice of language is kept (a year). */
export const LANGUAGE_COOKIE = 'rg_locale'

const byCode = new Map<string, Language>(LANGUAGES.map(language => [language.code, language]))
const byLowerCode = new Map<string, LanguageCode>(LANGUAGES.map(language => [language.code.toLowerCase(), language.code]))
const byPrimary = new Map<string, LanguageCode>()
for (const { code } of LANGUAGES) {
  const primary = code.split('-')[0]!.toLowerCase()
  if (!byPrimary.has(primary)) byPrimary.set(primary, code)
}

export const isLanguageCode = (code: unknown): code is LanguageCode => typeof code === 'string' && byCode.has(code)
export const languageOf = (code: string): Language => byCode.get(code) ?? byCode.get(DEFAULT_LANGUAGE)!

/** Traditional Chinese is not written in the Simplified script: those tags do not fall back to zh-Hans. */
const TRADITIONAL_CHINESE = /^zh-(?:hant|tw|hk|mo)(?:-|$)/

/**
 * One of our languages for a language tag (`fr-CA`, `ar_AE`, `zh-CN`, `en`), or undefined: the whole
 * tag when it is one of ours, else its primary language.
 */
export function matchLanguage(tag: string): LanguageCode | undefined {
  const normalised = tag.trim().replace(/_/g, '-').toLowerCase()
  if (!normalised) return undefined
  const exact = byLowerCode.get(normalised)
  if (exact) return exact
  if (TRADITIONAL_CHINESE.test(normalised)) return undefined
  return byPrimary.get(normalised.split('-')[0]!)
}

/** The tags of an Accept-Language header, most preferred first (q=0 and `*` left out). */
export function acceptedLanguages(header: string | null | undefined): string[] {
  if (!header) return []
  return header.slice(0, 1024).split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';')
      const q = params.map(param => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(param)?.[1]).find(Boolean)
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index }
    })
    .filter(({ tag, q }) => tag && tag !== '*' && Number.isFinite(q) && q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map(({ tag }) => tag)
}

/** Those of the browser's languages (Accept-Language or navigator.languages) that we have, most preferred first, each once. */
export function browserLanguages(tags: readonly string[]): LanguageCode[] {
  const found = new Set<LanguageCode>()
  for (const tag of tags) {
    const match = matchLanguage(tag)
    if (match) found.add(match)
  }
  return [...found]
}

/** The first of the browser's languages that we have. */
export const browserLanguage = (tags: readonly string[]): LanguageCode | undefined => browserLanguages(tags)[0]

const CHOSEN = new RegExp(`(?:^|;)\\s*${LANGUAGE_COOKIE}=([^;]*)`)

/** The language the respondent chose, from a Cookie header or document.cookie. */
export function cookieLanguage(cookies: string | null | undefined): LanguageCode | undefined {
  if (!cookies) return undefined
  const raw = CHOSEN.exec(cookies)?.[1]?.trim()
  if (!raw) return undefined
  let value: string
  try {
    value = decodeURIComponent(raw).replace(/^"(.*)"$/, '$1')
  }
  catch {
    return undefined
  }
  return isLanguageCode(value) ? value : undefined
}

/**
 * The language a page renders in: the respondent's own choice (the cookie), else the first of the browser's
 * languages that we have, else for a survey's pages the survey's language (its `localeId`: the default for
 * respondents whose browser names none of ours), else English. A survey may name the languages it offers
 * (all when absent): a choice, browser language or `localeId` it does not offer is passed over, and with
 * none left the page is in the first it names.
 */
export interface PageLanguageInput {
  cookie?: LanguageCode
  survey?: { localeId?: string | null, languages?: readonly string[] | null } | null
  browser?: readonly string[]
}

export function pageLanguage(input: PageLanguageInput): LanguageCode {
  const allowed = input.survey?.languages?.length ? new Set(input.survey.languages.filter(isLanguageCode)) : undefined
  const offered = (code: LanguageCode | undefined) => code !== undefined && (!allowed?.size || allowed.has(code)) ? code : undefined
  return offered(input.cookie)
    ?? browserLanguages(input.browser ?? []).find(code => offered(code))
    ?? offered(input.survey?.localeId ? matchLanguage(input.survey.localeId) : undefined)
    ?? (allowed?.size ? [...allowed][0]! : DEFAULT_LANGUAGE)
}

/**
 * What, in a request, decides the language of a server-rendered page besides the page itself (and, for
 * `/{slug}`, the survey): the page cache keeps one copy per value. A survey need not offer the language
 * chosen, nor the browser's first: the choice and all of the browser's languages we have, in order, count.
 */
export function requestLanguageKey(cookieHeader: string | null | undefined, acceptLanguage: string | null | undefined): string {
  return `cookie:${cookieLanguage(cookieHeader) ?? '-'} browser:${browserKey(acceptLanguage ?? '')}`
}

/** Browsers send a few Accept-Language values over and over: each is read once (up to 256 kept, then afresh). */
const browserKeys = new Map<string, string>()
function browserKey(acceptLanguage: string): string {
  let key = browserKeys.get(acceptLanguage)
  if (key === undefined) {
    key = browserLanguages(acceptedLanguages(acceptLanguage)).join(',') || '-'
    if (browserKeys.size >= 256) browserKeys.clear()
    if (acceptLanguage.length <= 256) browserKeys.set(acceptLanguage, key)
  }
  return key
}
