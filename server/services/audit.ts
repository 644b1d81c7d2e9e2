import { and, count, desc, eq, inArray, sql } from 'drizzle-orm'
import { read, tables, type Db, type Tx } from '#server/database'
import { containsText } from '#server/database/contains'
import { exec, first, rows, type Steps } from '#server/database/steps'

export interface Actor { tokenId: number | null, name: string }

/** The administrator at the server's command line (`npm run cli`). */
export const CLI_ACTOR: Actor = { tokenId: null, name: 'cli' }

/** Keys that name a secret: such a value never goes into the audit log, whoever passes it. */
const SECRET_KEY = /^(?:token|authToken|password|secret|genUserKey|webhookSecret|generatedWebhookSecret)$/i

/**
 * One line per change made through the admin surface, and per download or display of credentials:
 * who, what, on what, when, and the survey it concerns (`survey`: its slug; absent for accounts, tokens
 * and the like). Never secrets. A change writes it inside its own transaction (these steps).
 */
export function* auditIn(
  db: Db | Tx,
  actor: Actor,
  action: string,
  target: string,
  details?: Record<string, unknown>,
  survey?: string,
): Steps<void> {
  const kept = details && Object.fromEntries(Object.entries(details).filter(([key]) => !SECRET_KEY.test(key)))
  yield* exec(db.insert(tables(db).auditLog).values({
    tokenId: actor.tokenId, actor: actor.name, action, target, survey: survey?.toLowerCase() ?? null, details: kept ?? null,
  }))
}

/** The audit row of a read (a download, a display of credentials), written on its own. */
export function audit(db: Db, actor: Actor, action: string, target: string, details?: Record<string, unknown>, survey?: string) {
  return read(db, db => auditIn(db, actor, action, target, details, survey))
}

export interface AuditQuery {
  /** Only this survey's entries (a slug, any case). */
  survey?: string
  /** Only entries whose actor contains this (ignoring case). */
  actor?: string
  page: number
  limit: number
}

/**
 * A page of the audit log, newest first. `visible`: the surveys (lower-case slugs) the caller may see,
 * or null for every survey; a caller limited to some sees only their entries (none about accounts or tokens).
 */
export function auditPage(db: Db, query: AuditQuery, visible: string[] | null) {
  return read(db, function* (db) {
    const { auditLog } = tables(db)
    const filtered = and(
      visible === null ? undefined : visible.length ? inArray(auditLog.survey, visible) : sql`1 = 0`,
      query.survey === undefined ? undefined : eq(auditLog.survey, query.survey.toLowerCase()),
      query.actor ? containsText(db, auditLog.actor, query.actor) : undefined,
    )
    const total = Number((yield* first(db.select({ n: count() }).from(auditLog).where(filtered)))!.n)
    const found = yield* rows(db.select().from(auditLog).where(filtered).orderBy(desc(auditLog.id))
      .limit(query.limit).offset((query.page - 1) * query.limit))
    const entries = found.map(({ tokenId: _tokenId, at, ...row }) => ({ ...row, at: at.toISOString() }))
    return { entries, page: query.page, limit: query.limit, total }
  })
}
