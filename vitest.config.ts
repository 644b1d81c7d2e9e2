import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The same aliases as nuxt.config.ts (#server) and Nuxt itself (#shared).
const alias = {
  '#server': fileURLToPath(new URL('./server', import.meta.url)),
  '#shared': fileURLToPath(new URL('./shared', import.meta.url)),
}

const serverTests = {
  globalSetup: ['tests/support/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 180_000,
}

/**
 * The API test files that run a second time on PostgreSQL (project `api-postgres`), each on a database of
 * its own created on TEST_POSTGRES_URL's server and dropped afterwards (tests/support/engine.ts). Left out,
 * being about SQLite alone: migrations (a SQLite file left by older migrations), workers (WORKERS on one
 * SQLite file; postgres-deployments has it on PostgreSQL), bench (the benchmark's smoke run on SQLite) and
 * database-url (it starts servers on URLs of its own, PostgreSQL ones included, and needs no test database).
 */
const postgresApiTests = [
  'admin', 'admin-audit', 'admin-console', 'auth', 'cli-and-database', 'create-user', 'database-fault', 'generate-user',
  'hostile-crowd', 'hostile-input', 'languages', 'no-secrets', 'openapi', 'partner-walkthrough', 'public-surveys',
  'recall', 'security-headers', 'survey-languages', 'usernames', 'webhooks', 'multi-server', 'survey-limited-tokens',
  'postgres-deployments', 'console-admin-api',
].map(name => `tests/api/${name}.test.ts`)

// Without it, tests/support/summary-reporter.ts says once that the PostgreSQL run was skipped.
const postgresUrl = process.env.TEST_POSTGRES_URL

export default defineConfig({
  resolve: { alias },
  test: {
    maxWorkers: 2,
    // expect.poll waits for a page or the server to reach a state; on a loaded CI machine that can take
    // more than vitest's default second.
    expect: { poll: { timeout: 15_000 } },
    reporters: ['default', './tests/support/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' } },
      { extends: true, test: { name: 'api', include: ['tests/api/**/*.test.ts'], exclude: ['tests/api/multi-server.test.ts', 'tests/api/postgres-deployments.test.ts'], ...serverTests } },
      ...(postgresUrl
        ? [{ extends: true as const, test: { name: 'api-postgres', include: postgresApiTests, env: { TEST_DB_ENGINE: 'postgres' }, ...serverTests } }]
        : []),
      { extends: true, test: { name: 'browser', include: ['tests/browser/**/*.test.ts'], ...serverTests } },
    ],
  },
})
