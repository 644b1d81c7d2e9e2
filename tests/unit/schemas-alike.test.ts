import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { getTableName, is, Table } from 'drizzle-orm'
import { getTableConfig as pgTableConfig } from 'drizzle-orm/pg-core'
import { getTableConfig as sqliteTableConfig } from 'drizzle-orm/sqlite-core'
import { describe, expect, it } from 'vitest'
import * as postgres from '#server/database/schema.postgres'
import * as sqlite from '#server/database/schema'
import { postgresSchemaSource } from '../../scripts/postgres-schema.mjs'

interface Shape {
  columns: Record<string, { notNull: boolean, primary: boolean }>
  indexes: string[]
  foreignKeys: number
  primaryKeys: string[][]
}

function shapes(schema: Record<string, unknown>, config: (table: any) => any): Record<string, Shape> {
  const result: Record<string, Shape> = {}
  for (const value of Object.values(schema)) {
    if (!is(value, Table)) continue
    const table = config(value)
    result[getTableName(value)] = {
      columns: Object.fromEntries(table.columns.map((column: any) => [column.name, { notNull: column.notNull, primary: column.primary }])),
      indexes: table.indexes.map((index: any) => index.config.name).sort(),
      foreignKeys: table.foreignKeys.length,
      primaryKeys: table.primaryKeys.map((key: any) => key.columns.map((column: any) => column.name)),
    }
  }
  return result
}

describe('the two engines\' schemas', () => {
  it('schema.postgres.ts is what scripts/postgres-schema.mjs makes of schema.ts (run npm run db:generate)', () => {
    const committed = readFileSync(fileURLToPath(new URL('../../server/database/schema.postgres.ts', import.meta.url)), 'utf8')
    expect(committed).toBe(postgresSchemaSource())
  })

  it('have the same tables, columns, nullability, keys and index names', () => {
    const onSqlite = shapes(sqlite, sqliteTableConfig)
    const onPostgres = shapes(postgres, pgTableConfig)
    expect(Object.keys(onSqlite).length).toBeGreaterThan(10)
    expect(onPostgres).toEqual(onSqlite)
  })
})
