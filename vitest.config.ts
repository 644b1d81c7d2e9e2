import { defineConfig } from 'vitest/config'

const serverTests = {
  globalSetup: ['tests/support/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 180_000,
}

export default defineConfig({
  test: {
    maxWorkers: 2,
    reporters: ['default', './tests/support/summary-reporter.ts'],
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' } },
      { test: { name: 'api', include: ['tests/api/**/*.test.ts'], ...serverTests } },
      { test: { name: 'browser', include: ['tests/browser/**/*.test.ts'], ...serverTests } },
    ],
  },
})
