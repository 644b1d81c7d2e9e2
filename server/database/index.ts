import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { is } from 'drizzle-orm'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { PgDatabase } from 'drizzle-orm/pg-core'
import * as schema from './schema'
import * as postgresSchema from './schema.postgres'
import { runDataMigrations } from './data-migrations'
import type { Engine } from './engine'
import { parseDatabaseUrl, migrationsFolder, postgresPoolSize } from './paths'
import { openPostgres, postgresEngine, type PostgresHandle } from './postgres-engine'
import { sqliteEngine } from './sqlite-engine'
import type { Steps } from './steps'

/**
 * The db handle the services are written against. Its type is drizzle's SQLite database; at run time
 * it is that or drizzle's node-postgres database. The services only build queries and hand them to
 * the engine (`read`, `transaction`, `write` with steps, see steps.ts), never run them themselves, and
 * take their tables from `tables(db)`, so one copy of each rule runs on both engines.
 */
export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database }
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
export { schema }

type Handle
  = | { dialect: 'sqlite', db: Db, sqlite: Database.Database, ready: Promise<void> }
    | ({ dialect: 'postgres' } & PostgresHandle)

let handle: Handle | undefined

/**
 * Opens (once per process) the database named by DATABASE_URL. SQLite is migrated before this returns;
 * PostgreSQL migrates in the background: await `databaseReady()` before the first query. On PostgreSQL a
 * server also listens for survey changes on one more connection; `listen: false` (the CLI, which keeps no
 * caches) spares it. The first call decides.
 */
export function useDb(options: { listen?: boolean } = {}): Db {
  if (!handle) {
    const target = parseDatabaseUrl()
    handle = target.dialect === 'sqlite'
      ? { dialect: 'sqlite', ...openDatabase(target.path), ready: Promise.resolve() }
      : { dialect: 'postgres', ...openPostgres(target.url, { poolSize: postgresPoolSize(), migrationsFolder: migrationsFolder('postgres'), listen: options.listen ?? true }) }
  }
  return handle.db
}

/** Resolves once the database of `useDb()` is migrated and can be used; rejects when it cannot be. */
export function databaseReady(): Promise<void> {
  useDb()
  return handle!.ready
}

export function openDatabase(path: string, options: { migrationsFolder?: string } = {}) {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const sqlite = new Database(path)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  const db = drizzle(sqlite, { schema })
  migrateWithRetry(db, options.migrationsFolder ?? migrationsFolder())
  runDataMigrations(sqlite)
  reuseStatements(sqlite)
  return { db, sqlite, path }
}

const MAX_REUSED_STATEMENTS = 500

/**
 * drizzle compiles a new SQLite statement for every query it runs, and the services build their queries
 * per call (one copy for both engines), so the same SQL text is compiled again and again: compiled
 * statements are kept by their text (values are bound separately) and handed out again. drizzle switches
 * a statement to raw rows when it wants them, so one handed out again is first set back to row objects.
 */
function reuseStatements(sqlite: Database.Database) {
  const compile = sqlite.prepare.bind(sqlite)
  const statements = new Map<string, Database.Statement>()
  sqlite.prepare = ((source: string) => {
    let statement = statements.get(source)
    if (statement) {
      if (statement.reader) statement.raw(false)
      return statement
    }
    statement = compile(source)
    if (statements.size >= MAX_REUSED_STATEMENTS) statements.delete(statements.keys().next().value!)
    statements.set(source, statement)
    return statement
  }) as Database.Database['prepare']
}

/**
 * Two processes opening a fresh file at once (two servers, a server and the CLI) can both try to
 * migrate; SQLite then answers one of them SQLITE_BUSY at once. The loser waits and tries again, by
 * which time the migrations table shows the work as done.
 */
function migrateWithRetry(db: Db, folder: string, attempts = 50) {
  for (let attempt = 1; ; attempt++) {
    try {
      migrate(db, { migrationsFolder: folder })
      return
    }
    catch (error) {
      const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code
      if (attempt >= attempts || !String(code).startsWith('SQLITE_BUSY')) throw error
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 + Math.random() * 80)
    }
  }
}

export async function closeDb() {
  const closing = handle
  handle = undefined
  if (closing?.dialect === 'sqlite') closing.sqlite.close()
  else if (closing) await closing.close()
}

const isPostgres = (db: unknown) => is(db, PgDatabase)

/** The engine behind a db handle (or a transaction of one). */
export function engineOf(db: Db | Tx): Engine {
  return isPostgres(db) ? postgresEngine : sqliteEngine
}

/** The tables of the handle's engine: the same names and row types on both (schemas-alike.test.ts). */
export function tables(db: Db | Tx): typeof schema {
  return (isPostgres(db) ? postgresSchema : schema) as unknown as typeof schema
}

/** Runs steps outside a transaction; see engine.ts. */
export const read = <T>(db: Db, steps: (db: Db) => Steps<T>): Promise<T> => engineOf(db).read(db, steps)
/** Runs steps in a write transaction of their own; see engine.ts. */
export const transaction = <T>(db: Db, steps: (tx: Tx) => Steps<T>): Promise<T> => engineOf(db).transaction(db, steps)
/** Runs steps in a write transaction, grouped with other writes on SQLite; see engine.ts. */
export const write = <T>(db: Db, steps: (tx: Tx) => Steps<T>): Promise<T> => engineOf(db).write(db, steps)

/**
 * A number that changes whenever another process may have changed the database's surveys (SQLite:
 * any commit by another connection; PostgreSQL: a survey change anywhere). Lets in-process caches
 * notice the CLI or a second server.
 */
export function externalDataVersion(db: Db): number {
  return engineOf(db).externalVersion(db)
}
