import { getRequestHeader, getResponseHeader, setResponseHeader, type H3Event } from 'h3'
import { useDb } from '#server/database'
import { surveysVersion } from '#server/services/surveys'
import { RESERVED_SLUGS, SLUG_PATTERN } from '#shared/schemas/survey'
import { carriesToken } from '#server/utils/security-headers'
import { requestLanguageKey } from '../../i18n/languages'

const MAX_AGE_MS = 5000
const MAX_ENTRIES = 500

interface Entry { body: string, headers: Record<string, string>, version: string, at: number }
const entries = new Map<string, Entry>()

/**
 * The public server-rendered pages (`/` and `/{slug}`, exact address, no query string) are the same for
 * every visitor: they are kept for up to 5 s and dropped as soon as any survey changes (in this process
 * or, through SQLite's data_version, in another). Anything else is rendered every time, and a page whose
 * address carries a token or whose answer says no-store is never kept. A page is in the respondent's language
 * (the language cookie, else Accept-Language, else the survey's): one copy per language cookie and browser languages.
 */
export function pageCacheKey(event: H3Event): string | undefined {
  if (event.method !== 'GET' && event.method !== 'HEAD') return undefined
  const path = event.path
  if (path.includes('?') || path.includes('%') || carriesToken(path)) return undefined
  if (/application\/json/i.test(getRequestHeader(event, 'accept') ?? '')) return undefined
  const slug = path.slice(1)
  if (path !== '/' && (!SLUG_PATTERN.test(slug) || RESERVED_SLUGS.includes(slug.toLowerCase()))) return undefined
  return `${path} ${requestLanguageKey(getRequestHeader(event, 'cookie'), getRequestHeader(event, 'accept-language'))}`
}

export function cachedPage(event: H3Event): Entry | undefined {
  const key = pageCacheKey(event)
  if (!key) return undefined
  setResponseHeader(event, 'vary', 'Accept-Language, Cookie')
  const version = surveysVersion(useDb())
  event.context.pageCache = { key, version }
  const entry = entries.get(key)
  if (!entry) return undefined
  if (entry.version !== version || Date.now() - entry.at > MAX_AGE_MS) {
    entries.delete(key)
    return undefined
  }
  return entry
}

export function storeRenderedPage(event: H3Event, body: string, headers: Record<string, string>) {
  const slot = event.context.pageCache as { key: string, version: string } | undefined
  if (!slot || /no-store/i.test(String(getResponseHeader(event, 'cache-control') ?? ''))) return
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!)
  entries.set(slot.key, { body, headers, version: slot.version, at: Date.now() })
}
