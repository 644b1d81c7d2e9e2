import { isAbsolute, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DatabaseUrlError, DEFAULT_DATABASE_URL, parseDatabaseUrl, projectRoot } from '#server/database/paths'

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
    expect(parseDatabaseUrl('./data/other.db').path).toBe(join(root, 'data', 'other.db'))
    expect(parseDatabaseUrl('/var/lib/gateway/gateway.db').path).toBe('/var/lib/gateway/gateway.db')
    expect(parseDatabaseUrl('file:/var/lib/gateway/gateway.db').path).toBe('/var/lib/gateway/gateway.db')
    expect(parseDatabaseUrl('file:///var/lib/gateway/gateway.db').path).toBe('/var/lib/gateway/gateway.db')
    expect(parseDatabaseUrl('file:./data/x.db').path).toBe(join(root, 'data', 'x.db'))
    expect(parseDatabaseUrl(':memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' })
    expect(parseDatabaseUrl('file::memory:').path).toBe(':memory:')
  })

  it('unset, it is ./data/gateway.db under the project folder', () => {
    const saved = process.env.DATABASE_URL
    delete process.env.DATABASE_URL
    try {
      expect(parseDatabaseUrl().path).toBe(join(projectRoot(), 'data', 'gateway.db'))
    }
    finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved
    }
  })

  it('postgres: and postgresql: are refused as not supported yet, never taken for a file name, and the password is not repeated', () => {
    for (const url of ['postgres://app:S3cret-pw@db.example.org:5432/gateway', 'postgresql://app:S3cret-pw@localhost/gateway', 'POSTGRES://app:S3cret-pw@db/gw']) {
      const error = refusal(url)
      expect(error.message).toMatch(/PostgreSQL/)
      expect(error.message).toMatch(/not support/)
      expect(error.message).not.toContain('S3cret-pw')
      expect(error.message).not.toContain('db.example.org')
    }
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
      expect(isAbsolute(parseDatabaseUrl(url).path)).toBe(true)
  })
})
