import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { getTableName, is, Table } from 'drizzle-orm'
import * as schema from '#server/database/schema.postgres'
import { root } from '../../scripts/ensure-build.mjs'
import { dropDatabaseOnceClosed, postgresForUnitTest } from '../support/engine'

const adminUrl = await postgresForUnitTest('the PostgreSQL migration test')

describe.skipIf(adminUrl === null)('PostgreSQL migrations', () => {
  const database = `rg_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl ?? undefined })
  afterAll(async () => {
    await dropDatabaseOnceClosed(admin, database).catch(() => undefined)
    await admin.end()
  })

  it('create every table of the PostgreSQL schema on an empty database, and apply again as a no-op', async () => {
    await admin.connect()
    await admin.query(`CREATE DATABASE ${database}`)
    const url = new URL(adminUrl!)
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
