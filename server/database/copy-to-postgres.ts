import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { count, getTableName, is, sql, Table } from 'drizzle-orm'
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3'
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import * as postgresSchema from './schema.postgres'
import * as sqliteSchema from './schema'

/** Parents before children, so every foreign key finds its row. */
const TABLES = [
  'surveys', 'users', 'respondents', 'userCustomFields', 'settings', 'refreshSessions', 'usedTokenIds', 'rateLimits',
  'recallSessions', 'submissions', 'submissionMeals', 'submissionFoods', 'surveyEvents', 'webhookDeliveries',
  'webhookAttempts', 'personalAccessTokens', 'auditLog', 'adminAccounts', 'adminSessions',
] as const
const BATCH_ROWS = 500

export interface TableCopy { table: string, source: number, target: number }

export class CopyRefused extends Error {}

type AnyTable = Table & { id?: unknown }
const sqliteTables = sqliteSchema as unknown as Record<string, AnyTable>
const postgresTables = postgresSchema as unknown as Record<string, AnyTable>

/** Every table of the schema is in TABLES, so a new table cannot be left behind by a copy. */
export function uncopiedTables(): string[] {
  return Object.entries(sqliteTables)
    .filter(([name, value]) => is(value, Table) && !(TABLES as readonly string[]).includes(name))
    .map(([name]) => name)
}

function appliedMigrations(source: Database.Database): number {
  try {
    return (source.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n
  }
  catch {
    return 0
  }
}

/**
 * Copies a SQLite database into an empty PostgreSQL database: applies the PostgreSQL migrations, copies
 * every table in one transaction (all or nothing), moves each identity sequence past the highest id, and
 * compares the row counts table by table. The source is opened read-only and never changed; a target
 * that holds any row is refused before anything is written.
 */
export async function copySqliteToPostgres(options: {
  sqlitePath: string
  postgresUrl: string
  sqliteMigrations: string
  postgresMigrations: string
}): Promise<TableCopy[]> {
  const missing = uncopiedTables()
  if (missing.length) throw new Error(`db:copy does not know the tables ${missing.join(', ')}`)

  const source = new Database(options.sqlitePath, { readonly: true, fileMustExist: true })
  const pool = new pg.Pool({ connectionString: options.postgresUrl, max: 2 })
  // An idle connection lost between statements would otherwise end the CLI with an uncaught 'error'
  // event and its stack; the copy's next statement fails on its own with the server's message.
  pool.on('error', () => undefined)
  try {
    const expected = (JSON.parse(readFileSync(join(options.sqliteMigrations, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length
    if (appliedMigrations(source) !== expected)
      throw new CopyRefused(`${options.sqlitePath} is not at this version's schema (${appliedMigrations(source)} of ${expected} migrations applied): start the app or run any CLI command on it once, then copy`)

    const from = drizzleSqlite(source, { schema: sqliteSchema })
    const to = drizzlePostgres(pool, { schema: postgresSchema })
    await migrate(to, { migrationsFolder: options.postgresMigrations })

    for (const name of TABLES) {
      const [{ n }] = await to.select({ n: count() }).from(postgresTables[name]!) as [{ n: number }]
      if (n > 0) throw new CopyRefused(`the target database is not empty (${getTableName(postgresTables[name]!)} has ${n} rows): db:copy only fills an empty database`)
    }

    const counts: TableCopy[] = []
    await to.transaction(async (tx) => {
      for (const name of TABLES) {
        const sourceTable = sqliteTables[name]!
        const targetTable = postgresTables[name]!
        const rows = from.select().from(sourceTable).all() as Record<string, unknown>[]
        for (let start = 0; start < rows.length; start += BATCH_ROWS)
          await tx.insert(targetTable).values(rows.slice(start, start + BATCH_ROWS) as never)
        if ('id' in targetTable && rows.length && typeof rows[0]!.id === 'number') {
          const tableName = getTableName(targetTable)
          await tx.execute(sql`SELECT setval(pg_get_serial_sequence(${`"${tableName}"`}, 'id'), (SELECT max(id) FROM ${sql.identifier(tableName)}))`)
        }
        const [{ n }] = await tx.select({ n: count() }).from(targetTable) as [{ n: number }]
        counts.push({ table: getTableName(targetTable), source: rows.length, target: Number(n) })
      }
      const different = counts.filter(entry => entry.source !== entry.target)
      if (different.length) throw new Error(`row counts differ after the copy: ${different.map(entry => `${entry.table} ${entry.source} → ${entry.target}`).join(', ')}`)
    })
    return counts
  }
  finally {
    source.close()
    await pool.end()
  }
}
