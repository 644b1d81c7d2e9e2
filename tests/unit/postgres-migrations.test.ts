import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { getTableName, is, Table } from 'drizzle-orm'
import * as schema from '#server/database/schema.postgres'
import { root } from '../../scripts/ensure-build.mjs'

const adminUrl = process.env.TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres'

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    return true
  }
  catch {
    return false
  }
  finally {
    await client.end().catch(() => undefined)
  }
}

const available = await reachable()
if (!available) console.log(`PostgreSQL at ${adminUrl.replace(/\/\/[^@]*@/, '//')} did not answer: the PostgreSQL migration test was skipped (set TEST_POSTGRES_URL to run it).`)

describe.skipIf(!available)('PostgreSQL migrations', () => {
  const database = `rg_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined)
    await admin.end()
  })

  it('create every table of the PostgreSQL schema on an empty database, and apply again as a no-op', async () => {
    await admin.connect()
    await admin.query(`CREATE DATABASE ${database}`)
    const url = new URL(adminUrl)
    url.pathname = `/${database}`
    const pool = new pg.Pool({ connectionString: url.toString() })
    try {
      const db = drizzle(pool)
      await migrate(db, { migrationsFolder: join(root, 'drizzle', 'postgres') })
      await migrate(db, { migrationsFolder: join(root, 'drizzle', 'postgres') })
      const { rows } = await pool.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`)
      const expected = Object.values(schema).filter(value => is(value, Table)).map(table => getTableName(table as Table)).sort()
      expect(rows.map(row => row.table_name)).toEqual(expected)
    }
    finally {
      await pool.end()
    }
  })
})
