import type { NuxtApp } from '#app'
import { acceptedLanguages, cookieLanguage, isLanguageCode, pageLanguage, type LanguageCode } from '~~/i18n/languages'
import { RESERVED_SLUGS, SLUG_PATTERN, type PublicSurveyEntry } from '~~/shared/schemas/survey'

/** What a survey says about its pages' language: its locale, and the languages it offers (all when absent). */
export interface SurveyLanguages { localeId: string, languages?: string[] | null }

/** The survey a page belongs to (`/{slug}` and everything under it), from the page's path. */
export function surveySlugOf(path: string): string | undefined {
  const first = path.split(/[?#]/)[0]!.split('/')[1]
  if (!first) return undefined
  let slug: string
  try {
    slug = decodeURIComponent(first)
  }
  catch {
    return undefined
  }
  return SLUG_PATTERN.test(slug) && !RESERVED_SLUGS.includes(slug.toLowerCase()) ? slug : undefined
}

/** Survey look-ups: for one request on the server; for the whole visit in the browser. */
const lookups = new WeakMap<NuxtApp, Map<string, Promise<SurveyLanguages | null>>>()

function surveyLanguages(nuxtApp: NuxtApp, slug: string): Promise<SurveyLanguages | null> {
  let mine = lookups.get(nuxtApp)
  if (!mine) lookups.set(nuxtApp, mine = new Map())
  const key = slug.toLowerCase()
  let lookup = mine.get(key)
  if (!lookup) {
    lookup = $fetch<PublicSurveyEntry & { languages?: string[] | null }>(`/api/surveys/${encodeURIComponent(slug)}`)
      .then(entry => ({ localeId: entry.localeId, languages: entry.languages ?? null }))
      .catch(() => {
        mine.delete(key)
        return null
      })
    mine.set(key, lookup)
  }
  return lookup
}

/** The languages the language menu offers on the current page: the survey's own list, or null for all. */
export const useOfferedLanguages = () => useState<LanguageCode[] | null>('offered-languages', () => null)

/**
 * The language the page at `path` renders in (see pageLanguage): from the request's Cookie and
 * Accept-Language on the server, from document.cookie and navigator.languages in the browser. Also sets
 * the languages the menu offers there.
 */
export async function decidePageLanguage(nuxtApp: NuxtApp, path: string): Promise<LanguageCode> {
  const headers = import.meta.server ? nuxtApp.ssrContext?.event.node.req.headers : undefined
  const cookie = cookieLanguage(import.meta.server ? headers?.cookie : document.cookie)
  const browser = import.meta.server ? acceptedLanguages(headers?.['accept-language']) : [...navigator.languages]
  const slug = surveySlugOf(path)
  const survey = slug ? await surveyLanguages(nuxtApp, slug) : null
  const offered = survey?.languages?.filter(isLanguageCode)
  nuxtApp.runWithContext(() => {
    useOfferedLanguages().value = offered?.length ? offered : null
  })
  return pageLanguage({ cookie, survey, browser })
}

/** `<html lang>` and `dir` in the page's language. */
export function useLanguageHead() {
  const { localeProperties } = useI18n()
  useHead({ htmlAttrs: { lang: () => localeProperties.value.language ?? localeProperties.value.code, dir: () => localeProperties.value.dir ?? 'ltr' } })
}
