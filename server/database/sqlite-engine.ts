import { and, asc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm'
import type { Db, Tx } from '.'
import type { DeliveryRow, Engine } from './engine'
import { prepared } from './prepared'
import { rateLimits, refreshSessions, webhookDeliveries } from './schema'
import { runSqliteSteps, type Steps } from './steps'
import { writeTransaction } from './write-batch'

/** A synchronous outcome as a settled promise: a throw becomes a rejection, never an exception. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work())
  }
  catch (error) {
    return Promise.reject(error)
  }
}

const dataVersionThisTurn = new Map<Db, number>()

/**
 * SQLite through better-sqlite3: every statement is synchronous, so steps run synchronously inside
 * better-sqlite3's synchronous transactions (IMMEDIATE, so a writer never has to upgrade a read lock),
 * and `write` joins the group commit (write-batch.ts).
 */
export const sqliteEngine: Engine = {
  dialect: 'sqlite',
  caseInsensitiveLike: 'LIKE',

  read: <T>(db: Db, steps: (db: Db) => Steps<T>) => settle(() => runSqliteSteps(db, steps(db))),

  transaction: <T>(db: Db, steps: (tx: Tx) => Steps<T>) =>
    settle(() => db.transaction(tx => runSqliteSteps(tx, steps(tx)), { behavior: 'immediate' })),

  write: <T>(db: Db, steps: (tx: Tx) => Steps<T>) => writeTransaction(db, tx => runSqliteSteps(tx, steps(tx))),

  insertRefreshSession: (db, session) => writeTransaction(db, (tx) => {
    tx.insert(refreshSessions).values(session).run()
  }),

  rateLimitHit: (db, key, windowMs, now) => settle(() => prepared(db, 'rateLimitHit', () => db.insert(rateLimits)
    .values({ key: sql.placeholder('key'), windowStart: sql.placeholder('windowStart'), count: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`CASE WHEN ${rateLimits.windowStart} + ${sql.placeholder('windowMs')} <= ${sql.placeholder('now')} THEN 1 ELSE ${rateLimits.count} + 1 END`,
        windowStart: sql`CASE WHEN ${rateLimits.windowStart} + ${sql.placeholder('windowMs')} <= ${sql.placeholder('now')} THEN ${sql.placeholder('now')} ELSE ${rateLimits.windowStart} END`,
      },
    })
    .returning({ windowStart: rateLimits.windowStart, count: rateLimits.count }).prepare())
    .get({ key, windowStart: new Date(now), now, windowMs })!),

  rateLimitGiveBack: (db, key) => settle(() => {
    prepared(db, 'rateLimitGiveBack', () => db.update(rateLimits)
      .set({ count: sql`max(${rateLimits.count} - 1, 0)` })
      .where(eq(rateLimits.key, sql.placeholder('key'))).prepare()).run({ key })
  }),

  // The claim is a lock in the database (an IMMEDIATE transaction): processes on one file never share one.
  claimDueDeliveries: (db, limit, now, leaseMs) => settle(() => db.transaction((tx): DeliveryRow[] => {
    const earlier = sql`EXISTS (SELECT 1 FROM ${webhookDeliveries} AS e WHERE e.user_id = ${webhookDeliveries.userId} AND e.url = ${webhookDeliveries.url} AND e.status = 'pending' AND e.event_id < ${webhookDeliveries.eventId})`
    const due = tx.select().from(webhookDeliveries)
      .where(and(
        eq(webhookDeliveries.status, 'pending'),
        lte(webhookDeliveries.nextAttemptAt, now),
        or(isNull(webhookDeliveries.lockedUntil), lte(webhookDeliveries.lockedUntil, now)),
        sql`NOT ${earlier}`,
      ))
      .orderBy(asc(webhookDeliveries.eventId)).limit(limit).all()
    if (due.length) {
      tx.update(webhookDeliveries).set({ lockedUntil: new Date(now.getTime() + leaseMs) })
        .where(inArray(webhookDeliveries.id, due.map(row => row.id))).run()
    }
    return due
  }, { behavior: 'immediate' })),

  /**
   * SQLite's data_version: changes whenever another connection commits; this connection's own commits do
   * not change it. Read once per turn of the event loop: the pragma opens and closes a read transaction
   * (locks on the WAL index), which cost as much as the rest of a cached GET. A commit by another
   * process is seen from the next turn on.
   */
  externalVersion: (db) => {
    let version = dataVersionThisTurn.get(db)
    if (version === undefined) {
      version = prepared(db, 'dataVersion', () => db.$client.prepare('PRAGMA data_version').pluck()).get() as number
      if (dataVersionThisTurn.size === 0) setImmediate(() => dataVersionThisTurn.clear())
      dataVersionThisTurn.set(db, version)
    }
    return version
  },
}
