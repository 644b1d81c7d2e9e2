import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import * as schema from './schema'
import { runDataMigrations } from './data-migrations'
import { databasePath, migrationsFolder } from './paths'
import { prepared } from './prepared'

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database }
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
export { schema }

let handle: { db: Db, sqlite: Database.Database, path: string } | undefined

/** Opens (once per process) the database named by DATABASE_URL and brings its schema and data up to date. */
export function useDb(): Db {
  if (!handle) handle = openDatabase(databasePath())
  return handle.db
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
  return { db, sqlite, path }
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

export function closeDb() {
  handle?.sqlite.close()
  handle = undefined
}

const dataVersionThisTurn = new Map<Db, number>()

/**
 * A number that changes whenever another connection (another process) commits to the database; this
 * connection's own commits do not change it. Lets in-process caches notice the CLI or a second server.
 *
 * Read once per turn of the event loop: the pragma opens and closes a read transaction (locks on the
 * WAL index), which cost as much as the rest of a cached GET. A commit by another process is seen
 * from the next turn on.
 */
export function externalDataVersion(db: Db): number {
  let version = dataVersionThisTurn.get(db)
  if (version === undefined) {
    version = prepared(db, 'dataVersion', () => db.$client.prepare('PRAGMA data_version').pluck()).get() as number
    if (dataVersionThisTurn.size === 0) setImmediate(() => dataVersionThisTurn.clear())
    dataVersionThisTurn.set(db, version)
  }
  return version
}
