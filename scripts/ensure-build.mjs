// Builds the app with `nuxt build` unless .output already holds a build of exactly these sources.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('..', import.meta.url))
const inputs = ['app.vue', 'error.vue', 'nuxt.config.ts', 'package-lock.json', 'assets', 'components', 'composables', 'drizzle', 'i18n', 'layouts', 'middleware', 'pages', 'plugins', 'public', 'server', 'shared']
const stampFile = join(root, '.output', 'build-fingerprint')

function* files(path) {
  if (!existsSync(path)) return
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) yield* files(join(path, entry))
  }
  else yield path
}

export function sourceFingerprint() {
  const hash = createHash('sha256')
  for (const input of inputs) {
    for (const file of files(join(root, input))) hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0')
  }
  return hash.digest('hex')
}

export function ensureBuilt({ force = false } = {}) {
  const fingerprint = sourceFingerprint()
  const built = existsSync(join(root, '.output', 'server', 'index.mjs')) && existsSync(stampFile)
    && readFileSync(stampFile, 'utf8') === fingerprint
  if (built && !force) return false
  console.log('Building the app (nuxt build)…')
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'nuxt', 'bin', 'nuxt.mjs'), 'build'], { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } })
  if (result.status !== 0) throw new Error(`nuxt build failed (exit ${result.status})`)
  writeFileSync(stampFile, fingerprint)
  return true
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) ensureBuilt({ force: process.argv.includes('--force') })
