import { randomBytes } from 'node:crypto'
import type { SQL } from 'drizzle-orm'
import pg from 'pg'
import type { Db } from '#server/database'
import * as sqliteSchema from '#server/database/schema'
import * as postgresSchema from '#server/database/schema.postgres'

/**
 * The engine this test file runs on: SQLite, or PostgreSQL in the `api-postgres` project (vitest.config.ts
 * sets TEST_DB_ENGINE there, when TEST_POSTGRES_URL names a PostgreSQL server to create databases on).
 */
export const testEngine: 'sqlite' | 'postgres' = process.env.TEST_DB_ENGINE === 'postgres' ? 'postgres' : 'sqlite'

/** The tables of that engine, for tests that read or change rows themselves (the same names and row types on both). */
export const schema = (testEngine === 'postgres' ? postgresSchema : sqliteSchema) as unknown as typeof sqliteSchema

/** Runs one raw statement (SQLite: `run`; PostgreSQL: `execute`), for tests that change a table's definition themselves. */
export async function execute(db: Db, statement: SQL): Promise<void> {
  if (testEngine === 'postgres') await (db as unknown as { execute: (query: SQL) => Promise<unknown> }).execute(statement)
  else db.run(statement)
}

/** The PostgreSQL server the suite creates its databases on (TEST_POSTGRES_URL). */
export function testPostgresUrl(): string {
  const url = process.env.TEST_POSTGRES_URL
  if (!url) throw new Error('TEST_POSTGRES_URL is not set: it names the PostgreSQL server the PostgreSQL tests create their databases on')
  return url
}

const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

/**
 * The PostgreSQL server a unit test about PostgreSQL runs on. With TEST_POSTGRES_URL set (as `.ci/run` does)
 * it must answer: the test fails rather than being skipped, whatever the machine's load. Without it, the
 * local server when it answers; else null, and one line says the test was skipped and how to run it.
 */
export async function postgresForUnitTest(what: string): Promise<string | null> {
  if (process.env.TEST_POSTGRES_URL) return process.env.TEST_POSTGRES_URL
  const client = new pg.Client({ connectionString: LOCAL_POSTGRES_URL, connectionTimeoutMillis: 10_000 })
  // A connection that timed out can still report its end as an 'error' event: it must not go unhandled.
  client.on('error', () => undefined)
  const answered = await client.connect().then(() => true, () => false)
  await client.end().catch(() => undefined)
  if (!answered) console.log(`PostgreSQL did not answer at 127.0.0.1:5432: ${what} was skipped (set TEST_POSTGRES_URL to run it).`)
  return answered ? LOCAL_POSTGRES_URL : null
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

async function onServer<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testPostgresUrl() })
  await client.connect()
  try {
    return await work(client)
  }
  finally {
    await client.end()
  }
}

/** A fresh, empty PostgreSQL database of this test file's own; `drop` removes it (and ends its connections). */
export async function createTestDatabase(): Promise<{ name: string, url: string, drop: () => Promise<void> }> {
  const name = `gateway_test_${process.pid}_${randomBytes(6).toString('hex')}`
  await onServer(client => client.query(`CREATE DATABASE ${name}`))
  return {
    name,
    url: withDatabase(testPostgresUrl(), name),
    drop: async () => {
      // A connection still closing can make one attempt fail ("being accessed by other users"): try again.
      for (let attempt = 1; ; attempt++) {
        try {
          await onServer(client => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
          return
        }
        catch (error) {
          if (attempt >= 5) throw error
          await new Promise(resolve => setTimeout(resolve, 200 * attempt))
        }
      }
    },
  }
}

/**
 * Drops a test database once its connections have gone. A pool's end() resolves before its sockets have
 * closed: a DROP … WITH (FORCE) at that moment terminates them, and the closing client reports the
 * termination as an 'error' event nobody listens to any more.
 */
export async function dropDatabaseOnceClosed(admin: pg.Client, database: string): Promise<void> {
  for (let waited = 0; waited < 5000; waited += 50) {
    const { rows: [open] } = await admin.query<{ count: number }>('SELECT count(*)::integer AS count FROM pg_stat_activity WHERE datname = $1', [database])
    if (!open?.count) break
    await new Promise(done => setTimeout(done, 50))
  }
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
}
