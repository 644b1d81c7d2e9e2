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

/** `DATABASE_URL` as a file path: `file:` prefix allowed, `:memory:` kept, relative paths under the project. */
export function databasePath(url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL): string {
  const path = url.replace(/^(?:file|sqlite):(?:\/\/)?/, '')
  if (path === ':memory:') return path
  return isAbsolute(path) ? path : resolve(projectRoot(), path)
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
