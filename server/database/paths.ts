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

/** What `DATABASE_URL` names: for now always a SQLite file (or `:memory:`). */
export interface DatabaseTarget { dialect: 'sqlite', path: string }

/** A `DATABASE_URL` this version cannot use; start-up stops with its message (which never repeats the URL: it may hold a password). */
export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError'
}

const SCHEME = /^([a-z][a-z\d+.-]*):/i

/**
 * Reads `DATABASE_URL` (default `./data/gateway.db`) for the app and for drizzle-kit alike. A plain path
 * or a `file:` URL is a SQLite file: relative paths are resolved against the project folder, `:memory:`
 * is kept. `postgres:` and `postgresql:` are refused as not supported yet, and any other scheme is refused
 * rather than taken for a file name (`postgres://…` must never become a folder named `postgres:`).
 */
export function parseDatabaseUrl(url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL): DatabaseTarget {
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase()
  if (scheme === 'postgres' || scheme === 'postgresql')
    throw new DatabaseUrlError(`DATABASE_URL names a PostgreSQL database (${scheme}:), which this version does not support yet. Set DATABASE_URL to a SQLite file (a path such as ./data/gateway.db, or file:/var/lib/respondent-gateway/gateway.db).`)
  if (scheme !== undefined && scheme !== 'file')
    throw new DatabaseUrlError(`DATABASE_URL uses the scheme "${scheme}:", which is not supported. Set it to a SQLite file (a path such as ./data/gateway.db, or file:/var/lib/respondent-gateway/gateway.db).`)
  const path = scheme === 'file' ? url.replace(/^file:(?:\/\/)?/i, '') : url
  if (!path) throw new DatabaseUrlError('DATABASE_URL names no file. Set it to a SQLite file (a path such as ./data/gateway.db).')
  if (path === ':memory:') return { dialect: 'sqlite', path }
  return { dialect: 'sqlite', path: isAbsolute(path) ? path : resolve(projectRoot(), path) }
}

/** The SQLite file `DATABASE_URL` names (see parseDatabaseUrl). */
export function databasePath(url?: string): string {
  return parseDatabaseUrl(url).path
}

/** drizzle-kit's migration folder: beside the built server (copied at build), else the project's `drizzle/`. */
export function migrationsFolder(): string {
  if (process.env.NUXT_MIGRATIONS_DIR) return process.env.NUXT_MIGRATIONS_DIR
  for (const anchor of anchors()) {
    for (const dir of upwards(anchor)) {
      const candidate = join(dir, 'drizzle')
      if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate
    }
  }
  throw new Error('No drizzle migrations folder found: set NUXT_MIGRATIONS_DIR')
}
