import { isAbsolute, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { databasePath, DatabaseUrlError, DEFAULT_DATABASE_URL, parseDatabaseUrl, postgresPoolSize, projectRoot } from '#server/database/paths'

function refusal(url: string): DatabaseUrlError {
  try {
    parseDatabaseUrl(url)
  }
  catch (error) {
    if (error instanceof DatabaseUrlError) return error
    throw error
  }
  throw new Error(`expected DATABASE_URL=${url} to be refused`)
}

describe('DATABASE_URL', () => {
  it('a plain path or a file: URL is a SQLite file; relative paths are under the project folder', () => {
    const root = projectRoot()
    expect(parseDatabaseUrl(DEFAULT_DATABASE_URL)).toEqual({ dialect: 'sqlite', path: join(root, 'data', 'gateway.db') })
    expect(databasePath('./data/other.db')).toBe(join(root, 'data', 'other.db'))
    expect(databasePath('/var/lib/gateway/gateway.db')).toBe('/var/lib/gateway/gateway.db')
    expect(databasePath('file:/var/lib/gateway/gateway.db')).toBe('/var/lib/gateway/gateway.db')
    expect(databasePath('file:///var/lib/gateway/gateway.db')).toBe('/var/lib/gateway/gateway.db')
    expect(databasePath('file:./data/x.db')).toBe(join(root, 'data', 'x.db'))
    expect(parseDatabaseUrl(':memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' })
    expect(databasePath('file::memory:')).toBe(':memory:')
  })

  it('unset, it is ./data/gateway.db under the project folder', () => {
    const saved = process.env.DATABASE_URL
    delete process.env.DATABASE_URL
    try {
      expect(databasePath()).toBe(join(projectRoot(), 'data', 'gateway.db'))
    }
    finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved
    }
  })

  it('postgres: and postgresql: select PostgreSQL, with the URL as given (TLS through sslmode), never a file', () => {
    for (const url of ['postgres://app:S3cret-pw@db.example.org:5432/gateway', 'postgresql://app:S3cret-pw@localhost/gateway?sslmode=require', 'POSTGRES://app:S3cret-pw@db/gw']) {
      expect(parseDatabaseUrl(url)).toEqual({ dialect: 'postgres', url })
    }
  })

  it('a PostgreSQL URL without a host is refused, and the password is not repeated', () => {
    for (const url of ['postgres://', 'postgresql:///gateway?password=S3cret-pw']) {
      const error = refusal(url)
      expect(error.message).toMatch(/PostgreSQL/)
      expect(error.message).not.toContain('S3cret-pw')
    }
  })

  it('a tool that needs a SQLite file refuses a PostgreSQL URL', () => {
    expect(() => databasePath('postgres://app:S3cret-pw@db.example.org/gw')).toThrow(DatabaseUrlError)
  })

  it('the PostgreSQL pool has 10 connections unless NUXT_DATABASE_POOL_SIZE says otherwise; nonsense is refused', () => {
    expect(postgresPoolSize(undefined)).toBe(10)
    expect(postgresPoolSize('25')).toBe(25)
    for (const value of ['0', '-1', '2.5', 'many']) expect(() => postgresPoolSize(value)).toThrow(DatabaseUrlError)
  })

  it('any other scheme is refused with its name, and the rest of the URL is not repeated', () => {
    for (const [url, scheme] of [['mysql://root:S3cret-pw@localhost/gw', 'mysql:'], ['sqlite:./data/gateway.db', 'sqlite:'], ['https://example.org/gateway.db', 'https:'], ['mongodb+srv://u:S3cret-pw@c/gw', 'mongodb+srv:']] as const) {
      const error = refusal(url)
      expect(error.message).toContain(`"${scheme}"`)
      expect(error.message).toMatch(/not supported/)
      expect(error.message).not.toContain('S3cret-pw')
    }
  })

  it('a file: URL naming no file is refused rather than opening the project folder', () => {
    expect(refusal('file:').message).toMatch(/names no file/)
    expect(refusal('file://').message).toMatch(/names no file/)
  })

  it('every path it accepts is absolute or :memory:', () => {
    for (const url of ['gateway.db', 'data/gateway.db', 'file:gateway.db', '../elsewhere/gateway.db'])
      expect(isAbsolute(databasePath(url))).toBe(true)
  })
})
