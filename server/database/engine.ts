import type { Db, Tx } from '.'
import type { webhookDeliveries } from './schema'
import type { Steps } from './steps'

export type DeliveryRow = typeof webhookDeliveries.$inferSelect
export interface NewRefreshSession { familyId: string, respondentId: number, tokenHash: string, expiresAt: Date, createdAt: Date }

/**
 * What differs between the two engines, and nothing else: how a sequence of statements is run (in a
 * transaction or not), and the few statements whose SQL must differ (the rate-limit counter, the outbox
 * claim, the version that tells in-process caches another process changed something). The services are
 * written once over this interface; `sqlite-engine.ts` and `postgres-engine.ts` implement it.
 */
export interface Engine {
  dialect: 'sqlite' | 'postgres'
  /** Runs the steps outside a transaction (each statement on its own). */
  read: <T>(db: Db, steps: (db: Db) => Steps<T>) => Promise<T>
  /** Runs the steps in one write transaction of their own. */
  transaction: <T>(db: Db, steps: (tx: Tx) => Steps<T>) => Promise<T>
  /**
   * Runs the steps in a write transaction that SQLite may share with the other writes of this turn of
   * the event loop (group commit; the steps may run twice). PostgreSQL gives each its own transaction.
   */
  write: <T>(db: Db, steps: (tx: Tx) => Steps<T>) => Promise<T>
  /**
   * Stores a new sign-in's refresh token (a write of its own, answered once durable). SQLite joins the
   * group commit; PostgreSQL inserts the sign-ins of the same moment in one statement (see
   * postgres-statement-queue.ts): a transaction of its own for each would cost three round trips and a
   * commit each.
   */
  insertRefreshSession: (db: Db, session: NewRefreshSession) => Promise<void>
  /** Counts one hit on a fixed-window counter, atomically across every process on the database. */
  rateLimitHit: (db: Db, key: string, windowMs: number, now: number) => Promise<{ windowStart: Date, count: number }>
  /** Un-counts one hit (never below zero). */
  rateLimitGiveBack: (db: Db, key: string) => Promise<void>
  /**
   * Claims up to `limit` due webhook deliveries for `leaseMs`: only the oldest pending delivery of each
   * respondent and target is due, and no other process gets a claimed one until the lease ends.
   */
  claimDueDeliveries: (db: Db, limit: number, now: Date, leaseMs: number) => Promise<DeliveryRow[]>
  /**
   * Changes when another process may have changed the surveys (SQLite: its data_version; PostgreSQL: a
   * NOTIFY sent by every survey change). Read synchronously, on the hot path of cached pages.
   */
  externalVersion: (db: Db) => number
  /** `LIKE` that ignores case the way SQLite's does. */
  caseInsensitiveLike: 'LIKE' | 'ILIKE'
}
