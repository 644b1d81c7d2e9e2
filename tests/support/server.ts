import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fetch as serverFetch, getServerLogs, setup, startServer, stopServer, url } from '@nuxt/test-utils/e2e'
import { afterAll } from 'vitest'
import { openDatabase, type Db } from '#server/database'
import { migrationsFolder } from '#server/database/paths'
import { openPostgres } from '#server/database/postgres-engine'
import { root } from '../../scripts/ensure-build.mjs'
import { createTestDatabase, testEngine } from './engine'

export interface TestServer {
  /** The server's DATABASE_URL: a SQLite file, or (in the api-postgres project) a PostgreSQL database. */
  databasePath: string
  /** A connection of the test's own to the server's database, for seeding and reading rows (tables from ./engine). */
  db: () => Db
  restart: (env?: Record<string, string>) => Promise<void>
  logs: () => Promise<string>
}

/**
 * Runs the built server (built once by global-setup) on a fresh database for this test file: a SQLite
 * file, or in the api-postgres project a PostgreSQL database created for the file and dropped after it.
 * Nothing is mocked: requests go over HTTP to `node .output/server/index.mjs`.
 */
export async function useTestServer(
  env: Record<string, string> = {},
  options: { prepare?: (databasePath: string) => void } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-test-'))
  const postgres = testEngine === 'postgres' ? await createTestDatabase() : undefined
  const databasePath = postgres?.url ?? join(dir, 'gateway.db')
  if (!postgres) options.prepare?.(databasePath)
  const serverEnv = { DATABASE_URL: databasePath, NUXT_SEED_DEMO: 'false', ...env }
  await setup({
    rootDir: root,
    fixture: '',
    build: false,
    server: true,
    browser: false,
    nuxtConfig: { nitro: { output: { dir: join(root, '.output') } } },
    env: serverEnv,
  })
  let connection: ReturnType<typeof openDatabase> | undefined
  // Opened now and awaited: its start-up check of the migrations must be over before a test blocks this
  // process (runCli waits synchronously), or a connection could be left mid-statement while the CLI runs.
  const pool = postgres ? openPostgres(databasePath, { poolSize: 4, migrationsFolder: migrationsFolder('postgres') }) : undefined
  afterAll(async () => {
    connection?.sqlite.close()
    await pool?.close()
    await postgres?.drop()
    rmSync(dir, { recursive: true, force: true })
  })
  await pool?.ready
  return {
    databasePath,
    db: () => pool ? pool.db : (connection ??= openDatabase(databasePath)).db,
    restart: async (extraEnv = {}) => {
      await stopServer()
      await startServer({ env: { ...serverEnv, ...extraEnv } })
    },
    logs: async () => getServerLogs().map(line => typeof line === 'string' ? line : JSON.stringify(line)).join('\n'),
  }
}

export interface JsonResponse<T = unknown> { status: number, headers: Headers, body: T }

/** A request to the test server; the body is parsed as JSON when the answer says it is JSON. */
export async function request<T = any>(
  path: string,
  init: { method?: string, body?: unknown, headers?: Record<string, string>, rawBody?: string } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { accept: path.startsWith('/api/') ? 'application/json' : 'text/html', ...init.headers }
  let body: string | undefined = init.rawBody
  if (init.body !== undefined) {
    body = JSON.stringify(init.body)
    headers['content-type'] ??= 'application/json'
  }
  const send = () => serverFetch(path, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' })
  // A kept-alive connection the server closed while this process was blocked (runCli waits synchronously
  // for the CLI, longer than the server's 5 s keep-alive) fails before any answer: send once more, as
  // browsers do on a reused connection.
  const response = await send().catch((error: { cause?: { code?: string } }) => {
    if (error?.cause?.code === 'UND_ERR_SOCKET') return send()
    throw error
  })
  const text = await response.text()
  const isJson = (response.headers.get('content-type') ?? '').includes('json')
  return { status: response.status, headers: response.headers, body: (isJson && text ? JSON.parse(text) : text) as T }
}

export { url }
