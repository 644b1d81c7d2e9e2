import { desc } from 'drizzle-orm'
import { read, tables, type Db, type Tx } from '#server/database'
import { exec, rows, type Steps } from '#server/database/steps'

export interface Actor { tokenId: number | null, name: string }

/** The administrator at the server's command line (`npm run cli`). */
export const CLI_ACTOR: Actor = { tokenId: null, name: 'cli' }

/** Keys that name a secret: such a value never goes into the audit log, whoever passes it. */
const SECRET_KEY = /^(?:token|authToken|password|secret|genUserKey|webhookSecret|generatedWebhookSecret)$/i

/**
 * One line per change made through the admin surface, and per download or display of credentials:
 * who, what, on what, when. Never secrets. A change writes it inside its own transaction (these steps).
 */
export function* auditIn(db: Db | Tx, actor: Actor, action: string, target: string, details?: Record<string, unknown>): Steps<void> {
  const kept = details && Object.fromEntries(Object.entries(details).filter(([key]) => !SECRET_KEY.test(key)))
  yield* exec(db.insert(tables(db).auditLog).values({ tokenId: actor.tokenId, actor: actor.name, action, target, details: kept ?? null }))
}

/** The audit row of a read (a download, a display of credentials), written on its own. */
export function audit(db: Db, actor: Actor, action: string, target: string, details?: Record<string, unknown>): Promise<void> {
  return read(db, db => auditIn(db, actor, action, target, details))
}

export function recentAudit(db: Db, limit = 100) {
  return read(db, function* (db) {
    const { auditLog } = tables(db)
    return yield* rows(db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(limit))
  })
}
