import { desc } from 'drizzle-orm'
import type { Db, Tx } from '#server/database'
import { auditLog } from '#server/database/schema'

export interface Actor { tokenId: number | null, name: string }

/** The administrator at the server's command line (`npm run cli`). */
export const CLI_ACTOR: Actor = { tokenId: null, name: 'cli' }

/** Keys that name a secret: such a value never goes into the audit log, whoever passes it. */
const SECRET_KEY = /^(?:token|authToken|password|secret|genUserKey|webhookSecret|generatedWebhookSecret)$/i

/**
 * One line per change made through the admin surface, and per download or display of credentials:
 * who, what, on what, when. Never secrets.
 */
export function audit(db: Db | Tx, actor: Actor, action: string, target: string, details?: Record<string, unknown>) {
  const kept = details && Object.fromEntries(Object.entries(details).filter(([key]) => !SECRET_KEY.test(key)))
  db.insert(auditLog).values({ tokenId: actor.tokenId, actor: actor.name, action, target, details: kept ?? null }).run()
}

export function recentAudit(db: Db, limit = 100) {
  return db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(limit).all()
}
