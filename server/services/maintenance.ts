import { lt, or } from 'drizzle-orm'
import { read, tables, type Db } from '#server/database'
import { exec } from '#server/database/steps'
import { pruneRateLimits } from './rate-limit'

const DAY_MS = 24 * 3600 * 1000

/** Forgets what can no longer matter: expired single-use token ids, dead refresh sessions, old rate-limit windows. */
export async function pruneExpired(db: Db, now = new Date()) {
  await read(db, function* (db) {
    const { refreshSessions, usedTokenIds } = tables(db)
    yield* exec(db.delete(usedTokenIds).where(lt(usedTokenIds.expiresAt, now)))
    const revokedLongAgo = lt(refreshSessions.revokedAt, new Date(now.getTime() - DAY_MS))
    yield* exec(db.delete(refreshSessions).where(or(lt(refreshSessions.expiresAt, now), revokedLongAgo)))
  })
  await pruneRateLimits(db, DAY_MS, now.getTime())
}
