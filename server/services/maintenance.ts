import { lt, or } from 'drizzle-orm'
import type { Db } from '#server/database'
import { refreshSessions, usedTokenIds } from '#server/database/schema'
import { pruneRateLimits } from './rate-limit'

const DAY_MS = 24 * 3600 * 1000

/** Forgets what can no longer matter: expired single-use token ids, dead refresh sessions, old rate-limit windows. */
export function pruneExpired(db: Db, now = new Date()) {
  db.delete(usedTokenIds).where(lt(usedTokenIds.expiresAt, now)).run()
  const revokedLongAgo = lt(refreshSessions.revokedAt, new Date(now.getTime() - DAY_MS))
  db.delete(refreshSessions).where(or(lt(refreshSessions.expiresAt, now), revokedLongAgo)).run()
  pruneRateLimits(db, DAY_MS, now.getTime())
}
