import { existsSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Folders to search from. Bundled by Nitro, `import.meta.url` is a placeholder, so the built server is
 * found through its entry script (`node .output/server/index.mjs`); the CLI and tests (tsx, vitest) run
 * the sources, where `import.meta.url` is real; `nuxt dev` runs in the project folder.
 */
function anchors(): string[] {
  const list: string[] = []
  try {
    const here = dirname(fileURLToPath(import.meta.url))
    if (here !== sep && !here.startsWith(`${sep}_`)) list.push(here)
  }
  catch { /* not a file URL */ }
  if (process.argv[1]) list.push(dirname(resolve(process.argv[1])))
  list.push(process.cwd())
  return list
}

function* upwards(dir: string) {
  for (let current = dir; ; current = dirname(current)) {
    yield current
    if (dirname(current) === current) return
  }
}

/**
 * The project folder, wherever this code runs from: the source tree, `.nuxt/` (nuxt dev) or
 * `.output/server/` (the built server). Relative database paths resolve against it, not the working
 * directory, so starting the built server from `/` does not create `/data/`.
 */
export function projectRoot(): string {
  for (const anchor of anchors()) {
    for (const marker of [`${sep}.output${sep}`, `${sep}.nuxt${sep}`]) {
      const at = `${anchor}${sep}`.lastIndexOf(marker)
      if (at !== -1) return anchor.slice(0, at)
    }
    for (const dir of upwards(anchor)) {
      if (existsSync(join(dir, 'nuxt.config.ts'))) return dir
    }
  }
  return process.cwd()
}

export const DEFAULT_DATABASE_URL = './data/gateway.db'

/** What `DATABASE_URL` names: a SQLite file (or `:memory:`), or a PostgreSQL database. */
export type DatabaseTarget = { dialect: 'sqlite', path: string } | { dialect: 'postgres', url: string }

/** A `DATABASE_URL` this version cannot use; start-up stops with its message (which never repeats the URL: it may hold a password). */
export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError'
}

const SCHEME = /^([a-z][a-z\d+.-]*):/i
const CHOICES = 'a SQLite file (a path such as ./data/gateway.db, or file:/var/lib/respondent-gateway/gateway.db) or a PostgreSQL database (postgres://user:password@host:5432/database)'

/**
 * Reads `DATABASE_URL` (default `./data/gateway.db`) for the app, the CLI and drizzle-kit alike. A plain path
 * or a `file:` URL is a SQLite file: relative paths are resolved against the project folder, `:memory:` is
 * kept. `postgres:` and `postgresql:` name a PostgreSQL database (TLS through `sslmode` in the URL). Any
 * other scheme is refused rather than taken for a file name (`mysql://…` must never become a folder).
 */
export function parseDatabaseUrl(url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL): DatabaseTarget {
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase()
  if (scheme === 'postgres' || scheme === 'postgresql') {
    let parsed: URL
    try {
      parsed = new URL(url)
    }
    catch {
      throw new DatabaseUrlError(`DATABASE_URL names a PostgreSQL database (${scheme}:) but is not a valid URL. Write it as postgres://user:password@host:5432/database.`)
    }
    if (!parsed.hostname && !parsed.searchParams.get('host'))
      throw new DatabaseUrlError(`DATABASE_URL names a PostgreSQL database (${scheme}:) but no host. Write it as postgres://user:password@host:5432/database.`)
    return { dialect: 'postgres', url }
  }
  if (scheme !== undefined && scheme !== 'file')
    throw new DatabaseUrlError(`DATABASE_URL uses the scheme "${scheme}:", which is not supported. Set it to ${CHOICES}.`)
  const path = scheme === 'file' ? url.replace(/^file:(?:\/\/)?/i, '') : url
  if (!path) throw new DatabaseUrlError('DATABASE_URL names no file. Set it to a SQLite file (a path such as ./data/gateway.db).')
  if (path === ':memory:') return { dialect: 'sqlite', path }
  return { dialect: 'sqlite', path: isAbsolute(path) ? path : resolve(projectRoot(), path) }
}

/** The SQLite file `DATABASE_URL` names (see parseDatabaseUrl); refused when it names PostgreSQL. */
export function databasePath(url?: string): string {
  const target = parseDatabaseUrl(url)
  if (target.dialect !== 'sqlite') throw new DatabaseUrlError('This needs a SQLite file, and the URL names a PostgreSQL database.')
  return target.path
}

/** Connections in the PostgreSQL pool of each server process (NUXT_DATABASE_POOL_SIZE, default 10). */
export function postgresPoolSize(value = process.env.NUXT_DATABASE_POOL_SIZE): number {
  const size = Number(value || 10)
  if (!Number.isInteger(size) || size < 1 || size > 1000) throw new DatabaseUrlError('NUXT_DATABASE_POOL_SIZE must be a whole number from 1 to 1000.')
  return size
}

/**
 * drizzle-kit's migration folder: beside the built server (copied at build), else the project's `drizzle/`
 * (SQLite) or `drizzle/postgres/` (PostgreSQL).
 */
export function migrationsFolder(dialect: DatabaseTarget['dialect'] = 'sqlite'): string {
  if (process.env.NUXT_MIGRATIONS_DIR) return dialect === 'sqlite' ? process.env.NUXT_MIGRATIONS_DIR : join(process.env.NUXT_MIGRATIONS_DIR, 'postgres')
  for (const anchor of anchors()) {
    for (const dir of upwards(anchor)) {
      const candidate = dialect === 'sqlite' ? join(dir, 'drizzle') : join(dir, 'drizzle', 'postgres')
      if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate
    }
  }
  throw new Error('No drizzle migrations folder found: set NUXT_MIGRATIONS_DIR')
}
