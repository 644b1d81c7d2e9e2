import type { Reporter, TestModule } from 'vitest/node'

/** Ends the run with the plain closing line CI reads: "tests: N passed, N failed, N skipped". */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') counts.passed++
        else if (state === 'failed') counts.failed++
        else counts.skipped++
      }
      if (module.state() === 'failed' && module.children.size === 0) counts.failed++
    }
    if (!process.env.TEST_POSTGRES_URL)
      console.log('\nPostgreSQL run skipped: set TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres to run the API tests on PostgreSQL too.')
    console.log(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`)
  }
}
