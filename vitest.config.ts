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
      { extends: true, test: { name: 'api', include: ['tests/api/**/*.test.ts'], ...serverTests } },
      { extends: true, test: { name: 'browser', include: ['tests/browser/**/*.test.ts'], ...serverTests } },
    ],
  },
})
