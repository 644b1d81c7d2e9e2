import { eq, lt } from 'drizzle-orm'
import { engineOf, read, tables, type Db } from '#server/database'
import { exec, first } from '#server/database/steps'

export interface RateLimitRule { max: number, windowSeconds: number }
export interface RateLimitState { count: number, retryAfterSeconds: number, limited: boolean }

/**
 * Fixed-window counters in the database, so they hold across restarts and across servers sharing it.
 * `peek` reads without counting; `hit` counts one; `giveBack` un-counts one; `reset` forgets the key.
 * A limit that must hold under parallel requests is taken with `hit` before the slow work (one atomic
 * upsert: of N parallel requests at most `max` see `limited: false`) and given back afterwards when the
 * outcome does not count.
 */
export async function rateLimitPeek(db: Db, key: string, rule: RateLimitRule, now = Date.now()): Promise<RateLimitState> {
  const row = await read(db, function* (db) {
    const { rateLimits } = tables(db)
    return yield* first(db.select().from(rateLimits).where(eq(rateLimits.key, key)))
  })
  const windowMs = rule.windowSeconds * 1000
  if (!row || row.windowStart.getTime() + windowMs <= now) return { count: 0, retryAfterSeconds: 0, limited: false }
  const retryAfterSeconds = Math.ceil((row.windowStart.getTime() + windowMs - now) / 1000)
  return { count: row.count, retryAfterSeconds, limited: row.count >= rule.max }
}

/**
 * Keys this process found over their limit, until their window ends: refusing them again costs no write,
 * so a flood of refused requests stays cheap. The database stays the authority: a key is cached only
 * after it said "limited", and only a success (which cannot happen while limited) resets a key.
 */
const knownLimited = new Map<string, { until: number, state: RateLimitState }>()
const KNOWN_LIMITED_MAX = 10_000

function rememberLimited(key: string, until: number, state: RateLimitState) {
  if (knownLimited.size >= KNOWN_LIMITED_MAX) {
    for (const [cached, entry] of knownLimited) if (entry.until <= Date.now()) knownLimited.delete(cached)
    if (knownLimited.size >= KNOWN_LIMITED_MAX) knownLimited.delete(knownLimited.keys().next().value!)
  }
  knownLimited.set(key, { until, state })
}

/** Seconds until the window ends, when this process already knows the key is over its limit; no database read. */
export function knownLimitedFor(key: string, now = Date.now()): number | undefined {
  const cached = knownLimited.get(key)
  return cached && cached.until > now ? Math.ceil((cached.until - now) / 1000) : undefined
}

export async function rateLimitHit(db: Db, key: string, rule: RateLimitRule, now = Date.now()): Promise<RateLimitState> {
  const cached = knownLimited.get(key)
  if (cached && cached.until > now) return { ...cached.state, retryAfterSeconds: Math.ceil((cached.until - now) / 1000) }
  const windowMs = rule.windowSeconds * 1000
  const row = await engineOf(db).rateLimitHit(db, key, windowMs, now)
  const windowEnd = row.windowStart.getTime() + windowMs
  const state = { count: row.count, retryAfterSeconds: Math.ceil((windowEnd - now) / 1000), limited: row.count > rule.max }
  if (state.limited) rememberLimited(key, windowEnd, state)
  return state
}

export function rateLimitGiveBack(db: Db, key: string): Promise<void> {
  return engineOf(db).rateLimitGiveBack(db, key)
}

export function rateLimitReset(db: Db, key: string): Promise<void> {
  knownLimited.delete(key)
  return read(db, function* (db) {
    const { rateLimits } = tables(db)
    yield* exec(db.delete(rateLimits).where(eq(rateLimits.key, key)))
  })
}

/** Drops counters whose window ended long ago (called now and then, not on the hot path). */
export function pruneRateLimits(db: Db, olderThanMs: number, now = Date.now()): Promise<void> {
  return read(db, function* (db) {
    const { rateLimits } = tables(db)
    yield* exec(db.delete(rateLimits).where(lt(rateLimits.windowStart, new Date(now - olderThanMs))))
  })
}
