import { eq, lt, sql } from 'drizzle-orm'
import type { Db } from '../database'
import { prepared } from '../database/prepared'
import { rateLimits } from '../database/schema'

export interface RateLimitRule { max: number, windowSeconds: number }
export interface RateLimitState { count: number, retryAfterSeconds: number, limited: boolean }

/**
 * Fixed-window counters in the database, so they hold across restarts and across servers sharing it.
 * `peek` reads without counting; `hit` counts one; `reset` forgets the key.
 */
export function rateLimitPeek(db: Db, key: string, rule: RateLimitRule, now = Date.now()): RateLimitState {
  const row = prepared(db, 'rateLimitByKey', () => db.select().from(rateLimits).where(eq(rateLimits.key, sql.placeholder('key'))).prepare()).get({ key })
  const windowMs = rule.windowSeconds * 1000
  if (!row || row.windowStart.getTime() + windowMs <= now) return { count: 0, retryAfterSeconds: 0, limited: false }
  const retryAfterSeconds = Math.ceil((row.windowStart.getTime() + windowMs - now) / 1000)
  return { count: row.count, retryAfterSeconds, limited: row.count >= rule.max }
}

export function rateLimitHit(db: Db, key: string, rule: RateLimitRule, now = Date.now()): RateLimitState {
  const windowMs = rule.windowSeconds * 1000
  const row = prepared(db, 'rateLimitHit', () => db.insert(rateLimits)
    .values({ key: sql.placeholder('key'), windowStart: sql.placeholder('windowStart'), count: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`CASE WHEN ${rateLimits.windowStart} + ${sql.placeholder('windowMs')} <= ${sql.placeholder('now')} THEN 1 ELSE ${rateLimits.count} + 1 END`,
        windowStart: sql`CASE WHEN ${rateLimits.windowStart} + ${sql.placeholder('windowMs')} <= ${sql.placeholder('now')} THEN ${sql.placeholder('now')} ELSE ${rateLimits.windowStart} END`,
      },
    })
    .returning().prepare()).get({ key, windowStart: new Date(now), now, windowMs })!
  const retryAfterSeconds = Math.ceil((row.windowStart.getTime() + windowMs - now) / 1000)
  return { count: row.count, retryAfterSeconds, limited: row.count > rule.max }
}

export function rateLimitReset(db: Db, key: string) {
  db.delete(rateLimits).where(eq(rateLimits.key, key)).run()
}

/** Drops counters whose window ended long ago (called now and then, not on the hot path). */
export function pruneRateLimits(db: Db, olderThanMs: number, now = Date.now()) {
  db.delete(rateLimits).where(lt(rateLimits.windowStart, new Date(now - olderThanMs))).run()
}
