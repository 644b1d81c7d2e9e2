import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { root } from '../../scripts/ensure-build.mjs'

const SCENARIOS = [
  'bare node http',
  'GET /api/surveys',
  'GET /api/surveys/{slug}',
  'create-user (new respondent)',
  'create-user (existing respondent)',
  'login by token',
  'generate-user',
  'GET /',
  'GET /{slug}',
  'sign-in during a flood',
]

const folder = mkdtempSync(join(tmpdir(), 'rg-bench-smoke-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

/** `npm run bench`, one second per scenario, on the build the suite already made; results to a temp file. */
function runBench(): Promise<{ code: number | null, output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), '--tsconfig', join(root, 'tsconfig.tools.json'), join(root, 'bench', 'run.ts')], {
      cwd: root,
      env: { ...process.env, BENCH_DURATION: '1', BENCH_WARMUP: '0', BENCH_OUTPUT_DIR: join(root, '.output'), BENCH_RESULTS: join(folder, 'results.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk))
    child.on('exit', code => done({ code, output }))
  })
}

// A smoke run: that every scenario runs and reports, not how fast (the figures are for `npm run bench`).
describe('npm run bench', () => {
  it('measures every scenario against the bare server and writes the results', async () => {
    const { code, output } = await runBench()
    expect(code, output).toBe(0)
    expect(output).toMatch(/^scenario +req\/s +p50 ms +p99 ms +errors +ratio$/m)
    for (const name of SCENARIOS) expect(output).toContain(`→ ${name}`)
    expect(output).toMatch(/Targets:/)

    const results = JSON.parse(readFileSync(join(folder, 'results.json'), 'utf8'))
    expect(Number.isNaN(Date.parse(results.date))).toBe(false)
    expect(results.machine).toMatchObject({ cpus: expect.any(Number), node: process.version })
    expect(results.scenarios.map((scenario: { name: string }) => scenario.name)).toEqual(SCENARIOS)
    const [bare] = results.scenarios
    expect(bare.ratio).toBe(1)
    for (const scenario of results.scenarios) {
      expect(scenario).toEqual({
        name: expect.any(String),
        requestsPerSecond: expect.any(Number),
        p50Ms: expect.any(Number),
        p99Ms: expect.any(Number),
        errors: expect.any(Number),
        ratio: expect.any(Number),
      })
      expect(scenario.requestsPerSecond, scenario.name).toBeGreaterThan(0)
      expect(scenario.errors, scenario.name).toBe(0)
      expect(scenario.ratio).toBe(Math.round(scenario.requestsPerSecond / bare.requestsPerSecond * 100) / 100)
    }
    expect(results.details['sign-in during a flood']).toMatchObject({
      floodInFlight: 1000,
      floodRequests: expect.any(Number),
      legitimateRequests: expect.any(Number),
      legitimateErrors: 0,
      p99Ms: expect.any(Number),
    })
    expect(results.details['sign-in during a flood'].floodRequests).toBeGreaterThanOrEqual(1000)
  }, 180_000)
})
