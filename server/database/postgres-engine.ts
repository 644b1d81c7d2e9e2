import { and, asc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import { readMigrationFiles } from 'drizzle-orm/migrator'
import pg from 'pg'
import { randomUUID } from 'node:crypto'
import type { Db, Tx } from '.'
import type { DeliveryRow, Engine, NewRefreshSession } from './engine'
import { StatementQueue } from './postgres-statement-queue'
import * as postgresSchema from './schema.postgres'
import { runPostgresSteps, type Steps } from './steps'

const { rateLimits, webhookDeliveries } = postgresSchema

/** The channel every survey change is announced on (NOTIFY, sent when its transaction commits). */
export const SURVEYS_CHANNEL = 'rg_surveys_changed'
/**
 * Names this process in the NOTIFYs it sends, so that its listener passes over its own: this process
 * counts its survey changes itself when they commit, and one of its own announcements arriving a moment
 * later would only empty its caches a second time.
 */
export const PROCESS_NOTIFY_ID = randomUUID()
/** Any constant shared by every process: the advisory lock that lets one process at a time migrate. */
export const MIGRATION_LOCK = 424_242_014

export interface PostgresHandle { db: Db, pool: pg.Pool, ready: Promise<void>, close: () => Promise<void> }

interface ListenState { version: number, closed: boolean, client?: pg.Client }
const listeners = new WeakMap<object, ListenState>()

type PgDb = ReturnType<typeof drizzle<typeof postgresSchema>>
const asPg = (db: Db | Tx) => db as unknown as PgDb

/**
 * Opens a pool on a PostgreSQL database and migrates it in the background (`ready`). Several servers
 * starting at once take turns through an advisory lock, so the migrations run once. With `listen`, one
 * extra connection listens for survey changes made by any process (see externalVersion).
 */
export function openPostgres(url: string, options: { poolSize: number, migrationsFolder: string, listen?: boolean }): PostgresHandle {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize })
  // An idle connection the server dropped (a restart, a failover) must not crash the process.
  pool.on('error', error => console.error('[database] idle PostgreSQL connection lost:', error.message))
  const db = drizzle(pool, { schema: postgresSchema })
  const state: ListenState = { version: 0, closed: false }
  listeners.set(db, state)
  if (options.listen) listen(url, state)
  const ready = migrateOnce(pool, options.migrationsFolder)
  ready.catch(() => { /* reported by whoever awaits databaseReady() */ })
  return {
    db: db as unknown as Db,
    pool,
    ready,
    close: async () => {
      state.closed = true
      await state.client?.end().catch(() => {})
      await pool.end()
    },
  }
}

/**
 * Applies the pending migrations, one process at a time. A database already at this version (every start
 * but the first after an upgrade) is only read: no lock is taken, so a process that opens it (a server,
 * the CLI) never waits for another that holds the lock, such as one stopped mid-migration by a debugger
 * or a blocked event loop.
 */
async function migrateOnce(pool: pg.Pool, folder: string) {
  const latest = Math.max(...readMigrationFiles({ migrationsFolder: folder }).map(migration => migration.folderMillis))
  if (await lastAppliedMigration(pool) >= latest) return
  const client = await pool.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    try {
      await migrate(drizzle(client), { migrationsFolder: folder })
    }
    finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK])
    }
  }
  finally {
    client.release()
  }
}

/** When the newest migration applied to the database was made (drizzle's own record), or -Infinity on a new database. */
async function lastAppliedMigration(pool: pg.Pool): Promise<number> {
  // Two statements: a statement naming a table that does not exist fails as a whole.
  const { rows: [table] } = await pool.query<{ present: boolean }>(`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present`)
  if (!table?.present) return -Infinity
  const { rows: [last] } = await pool.query<{ at: string | null }>('SELECT max(created_at)::text AS at FROM drizzle.__drizzle_migrations')
  return last?.at == null ? -Infinity : Number(last.at)
}

/** LISTENs for survey changes; a lost connection is re-opened, and counted as a change (one may have been missed). */
function listen(url: string, state: ListenState) {
  if (state.closed) return
  const client = new pg.Client({ connectionString: url })
  let retried = false
  const retry = () => {
    if (retried) return
    retried = true
    state.version++
    if (state.client === client) state.client = undefined
    client.end().catch(() => {})
    if (!state.closed) setTimeout(() => listen(url, state), 1000).unref()
  }
  client.on('notification', (message) => {
    if (message.payload !== PROCESS_NOTIFY_ID) state.version++
  })
  client.on('error', retry)
  client.on('end', retry)
  state.client = client
  client.connect()
    .then(() => client.query(`LISTEN ${SURVEYS_CHANNEL}`))
    .then(() => {
      state.version++
    })
    .catch(retry)
}

const poolOf = (db: Db) => (db as unknown as { $client: pg.Pool }).$client

const refreshSessionQueue = new StatementQueue<NewRefreshSession, void>({
  atOnce: 2,
  most: 100,
  run: async (pool, sessions) => {
    await pool.query({
      name: 'insertRefreshSessions',
      text: `INSERT INTO refresh_sessions (family_id, respondent_id, token_hash, expires_at, created_at)
        SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::timestamptz[], $5::timestamptz[])`,
      values: [
        sessions.map(session => session.familyId),
        sessions.map(session => session.respondentId),
        sessions.map(session => session.tokenHash),
        sessions.map(session => session.expiresAt),
        sessions.map(session => session.createdAt),
      ],
    })
    return sessions.map(() => undefined)
  },
})

/**
 * PostgreSQL through node-postgres: a pool (NUXT_DATABASE_POOL_SIZE connections), each transaction on
 * one pooled connection, READ COMMITTED; rows that concurrent transactions must not both change are
 * taken with a conditional UPDATE, ON CONFLICT or a row lock by the services' steps.
 */
export const postgresEngine: Engine = {
  dialect: 'postgres',
  caseInsensitiveLike: 'ILIKE',

  read: <T>(db: Db, steps: (db: Db) => Steps<T>) => runPostgresSteps(db, steps(db)),

  transaction: <T>(db: Db, steps: (tx: Tx) => Steps<T>) =>
    asPg(db).transaction(tx => runPostgresSteps(tx, steps(tx as unknown as Tx))),

  write: <T>(db: Db, steps: (tx: Tx) => Steps<T>) =>
    asPg(db).transaction(tx => runPostgresSteps(tx, steps(tx as unknown as Tx))),

  insertRefreshSession: async (db, session) => {
    await refreshSessionQueue.add(poolOf(db), session)
  },

  rateLimitHit: async (db, key, windowMs, now) => {
    const at = new Date(now)
    const windowOver = sql`${rateLimits.windowStart} + make_interval(secs => ${windowMs / 1000}::double precision) <= ${at.toISOString()}::timestamptz`
    const [row] = await asPg(db).insert(rateLimits).values({ key, windowStart: at, count: 1 })
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          count: sql`CASE WHEN ${windowOver} THEN 1 ELSE ${rateLimits.count} + 1 END`,
          windowStart: sql`CASE WHEN ${windowOver} THEN ${at.toISOString()}::timestamptz ELSE ${rateLimits.windowStart} END`,
        },
      })
      .returning({ windowStart: rateLimits.windowStart, count: rateLimits.count })
    return row!
  },

  rateLimitGiveBack: async (db, key) => {
    await asPg(db).update(rateLimits).set({ count: sql`greatest(${rateLimits.count} - 1, 0)` }).where(eq(rateLimits.key, key))
  },

  // FOR UPDATE SKIP LOCKED: servers claiming at the same moment take different rows and never wait on
  // each other; the lease (locked_until) keeps a claimed row from the others until it ends, so a server
  // that dies mid-delivery leaves it to another one after the lease.
  claimDueDeliveries: async (db, limit, now, leaseMs) => {
    const earlier = sql`EXISTS (SELECT 1 FROM ${webhookDeliveries} AS e WHERE e.user_id = ${webhookDeliveries.userId} AND e.url = ${webhookDeliveries.url} AND e.status = 'pending' AND e.event_id < ${webhookDeliveries.eventId})`
    const due = asPg(db).select({ id: webhookDeliveries.id }).from(webhookDeliveries)
      .where(and(
        eq(webhookDeliveries.status, 'pending'),
        lte(webhookDeliveries.nextAttemptAt, now),
        or(isNull(webhookDeliveries.lockedUntil), lte(webhookDeliveries.lockedUntil, now)),
        sql`NOT ${earlier}`,
      ))
      .orderBy(asc(webhookDeliveries.eventId)).limit(limit)
      .for('update', { skipLocked: true })
    const claimed = await asPg(db).update(webhookDeliveries).set({ lockedUntil: new Date(now.getTime() + leaseMs) })
      .where(inArray(webhookDeliveries.id, due)).returning()
    return claimed.sort((a, b) => a.eventId - b.eventId) as DeliveryRow[]
  },

  externalVersion: db => listeners.get(db)?.version ?? 0,
}
