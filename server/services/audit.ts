import { desc } from 'drizzle-orm'
import type { Db, Tx } from '../database'
import { auditLog } from '../database/schema'

export interface Actor { tokenId: number | null, name: string }

/** One line per change made through the admin surface: who, what, on what, when. Never secrets. */
export function audit(db: Db | Tx, actor: Actor, action: string, target: string, details?: Record<string, unknown>) {
  db.insert(auditLog).values({ tokenId: actor.tokenId, actor: actor.name, action, target, details: details ?? null }).run()
}

export function recentAudit(db: Db, limit = 100) {
  return db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(limit).all()
}
