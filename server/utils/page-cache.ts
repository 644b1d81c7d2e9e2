import { getRequestHeader, type H3Event } from 'h3'
import { useDb } from '../database'
import { surveysVersion } from '../services/surveys'
import { RESERVED_SLUGS, SLUG_PATTERN } from '../../shared/schemas/survey'

const MAX_AGE_MS = 5000
const MAX_ENTRIES = 500

interface Entry { body: string, headers: Record<string, string>, version: string, at: number }
const entries = new Map<string, Entry>()

/**
 * The public server-rendered pages (`/` and `/{slug}`, exact address, no query string) are the same for
 * every visitor: they are kept for up to 5 s and dropped as soon as any survey changes (in this process
 * or, through SQLite's data_version, in another). Anything else is rendered every time.
 */
export function pageCacheKey(event: H3Event): string | undefined {
  if (event.method !== 'GET' && event.method !== 'HEAD') return undefined
  const path = event.path
  if (path.includes('?') || path.includes('%')) return undefined
  if (/application\/json/i.test(getRequestHeader(event, 'accept') ?? '')) return undefined
  if (path === '/') return path
  const slug = path.slice(1)
  return SLUG_PATTERN.test(slug) && !RESERVED_SLUGS.includes(slug.toLowerCase()) ? path : undefined
}

export function cachedPage(event: H3Event): Entry | undefined {
  const key = pageCacheKey(event)
  if (!key) return undefined
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
  if (!slot) return
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!)
  entries.set(slot.key, { body, headers, version: slot.version, at: Date.now() })
}
