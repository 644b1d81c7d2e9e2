/**
 * `npm run bench`: throughput and latency of the built server, scenario by scenario, next to a bare
 * Node http server measured in the same run (the ceiling on this machine). See bench/README.md.
 *
 * Environment: BENCH_DURATION (seconds per scenario, default 10), BENCH_WARMUP (unrecorded seconds
 * before each scenario, default 1), BENCH_OUTPUT_DIR (a built `.output` folder to run instead of
 * building), BENCH_ONLY (comma-separated parts of scenario names; the ceiling always runs),
 * BENCH_PROFILE (run the app's server with --cpu-prof; the value is the folder, `1` means /tmp/prof),
 * BENCH_VERBOSE (show the servers' output), BENCH_RESULTS (where a full run writes its results; default
 * bench/results.json).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { Agent, request as httpRequest } from 'node:http'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, tmpdir, totalmem } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import autocannon from 'autocannon'
import { SignJWT } from 'jose'
import { ensureBuilt, root } from '../scripts/ensure-build.mjs'
import pg from 'pg'
import { openDatabase, type Db } from '#server/database'
import { openPostgres } from '#server/database/postgres-engine'
import { createOrUpdateFromPartner } from '#server/services/respondents'
import { upsertSurveys } from '#server/services/surveys'

const CONNECTIONS = 50
const HOST = '127.0.0.1'
const P99_LIMIT_MS = 50
const benchDir = dirname(fileURLToPath(import.meta.url))
const exitWithParent = pathToFileURL(join(benchDir, 'exit-with-parent.mjs')).href

function secondsFromEnv(name: string, fallback: number, minimum: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (Number.isFinite(value) && value >= minimum && value <= 3600) return value
  console.error(`${name} must be a number of seconds from ${minimum} to 3600 (got "${raw}")`)
  process.exit(1)
}

const durationSeconds = secondsFromEnv('BENCH_DURATION', 10, 1)
const warmupSeconds = secondsFromEnv('BENCH_WARMUP', 1, 0)
const verbose = Boolean(process.env.BENCH_VERBOSE)
const profileDir = process.env.BENCH_PROFILE
  ? (isAbsolute(process.env.BENCH_PROFILE) ? process.env.BENCH_PROFILE : '/tmp/prof')
  : undefined
/** `npm run bench -- --workers 2 --db sqlite`: how many server processes, and which database engine. */
function options(argv: string[]): { workers: number, db: 'sqlite' | 'postgres' } {
  const result = { workers: 1, db: 'sqlite' as 'sqlite' | 'postgres' }
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i]!.split('=', 2)
    const value = inline ?? argv[++i]
    if (name === '--workers' && value && /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 64) result.workers = Number(value)
    else if (name === '--db' && (value === 'sqlite' || value === 'postgres')) result.db = value
    else {
      console.error(`Unknown or invalid option ${argv[i]}: use --workers <1–64> and --db sqlite|postgres`)
      process.exit(1)
    }
  }
  if (result.db === 'postgres' && !postgresServerUrl()) {
    console.error('--db postgres: set BENCH_POSTGRES_URL (or TEST_POSTGRES_URL) to a PostgreSQL server the benchmark may create a database on, e.g. postgres://postgres@127.0.0.1:5432/postgres')
    process.exit(1)
  }
  return result
}
const { workers, db: engine } = options(process.argv.slice(2))
const only = (process.env.BENCH_ONLY ?? '').split(',').map(part => part.trim().toLowerCase()).filter(Boolean)

// ---------------------------------------------------------------------------------------------------
// Child processes and the temp folder: always cleaned up, also on failure and Ctrl-C.

interface Child { name: string, process: ChildProcess, log: string[] }

const children: Child[] = []
let tempDir: string | undefined

function startChild(name: string, args: string[], options: { env?: NodeJS.ProcessEnv, cwd?: string } = {}): Child {
  const child: Child = {
    name,
    // stdin stays an open pipe: exit-with-parent.mjs ends the child when it closes.
    process: spawn(process.execPath, ['--import', exitWithParent, ...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] }),
    log: [],
  }
  const keep = (chunk: Buffer) => {
    const text = chunk.toString()
    if (verbose) process.stderr.write(text.replace(/^(?=.)/gm, `[${name}] `))
    child.log.push(...text.split('\n').filter(Boolean))
    if (child.log.length > 60) child.log.splice(0, child.log.length - 60)
  }
  child.process.stdout?.on('data', keep)
  child.process.stderr?.on('data', keep)
  child.process.on('error', error => child.log.push(`spawn error: ${error.message}`))
  children.push(child)
  return child
}

const running = (child: Child) => child.process.exitCode === null && child.process.signalCode === null

async function stopChild(child: Child, graceMs: number) {
  if (!running(child)) return
  const exited = new Promise<void>(done => child.process.once('exit', () => done()))
  child.process.kill('SIGTERM')
  const timer = setTimeout(() => {
    if (running(child)) child.process.kill('SIGKILL')
  }, graceMs)
  await exited
  clearTimeout(timer)
}

let cleaning: Promise<void> | undefined
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    // A profiled server writes its profile on the way out: give it time.
    await Promise.all(children.map(child => stopChild(child, profileDir ? 60_000 : 10_000)))
    if (tempDir) rmSync(tempDir, { recursive: true, force: true })
    tempDir = undefined
    if (benchDatabase) await onPostgresServer(`DROP DATABASE IF EXISTS ${benchDatabase} WITH (FORCE)`).catch(() => {})
    benchDatabase = undefined
  })()
  return cleaning
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the servers…`)
    void cleanup().finally(() => process.exit(130))
  })
}
// Last resort (process.exit elsewhere, an uncaught error): nothing may outlive the benchmark.
process.once('exit', () => {
  for (const child of children) if (running(child)) child.process.kill('SIGKILL')
  if (tempDir) rmSync(tempDir, { recursive: true, force: true })
})

function failWithLog(child: Child, message: string): never {
  throw new Error(`${message}\n--- last output of ${child.name} ---\n${child.log.join('\n') || '(none)'}`)
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, HOST, () => {
      const address = server.address()
      server.close(() => typeof address === 'object' && address ? done(address.port) : fail(new Error('no port')))
    })
  })
}

// ---------------------------------------------------------------------------------------------------
// Servers

async function startBareServer(): Promise<string> {
  const child = startChild('bare server', [join(benchDir, 'bare-server.mjs')])
  const port = await new Promise<number>((done, fail) => {
    let buffered = ''
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString()
      const line = buffered.split('\n')[0]
      if (buffered.includes('\n') && line) {
        child.process.stdout?.off('data', onData)
        done(Number(line))
      }
    }
    child.process.stdout?.on('data', onData)
    child.process.once('exit', code => fail(new Error(`the bare server exited (${code}) before listening`)))
    setTimeout(() => fail(new Error('the bare server did not start within 10 s')), 10_000).unref()
  })
  return `http://${HOST}:${port}`
}

async function startAppServer(entry: string, databaseFile: string): Promise<string> {
  const port = await freePort()
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseFile,
    PORT: String(port),
    HOST,
    NUXT_SEED_DEMO: 'false',
    NUXT_GENERATE_USER_RATE_LIMIT_MAX: '100000000',
    NUXT_GENERATE_USER_RATE_LIMIT_FAILED_MAX: '100000000',
    // Sign-in keeps its real limits (the flood scenario is about them); the flood's client addresses
    // arrive in X-Forwarded-For, as from a proxy in front.
    NUXT_TRUST_PROXY: '1',
    NODE_ENV: 'production',
  }
  // Nitro prefers these over PORT / HOST.
  delete env.NITRO_PORT
  delete env.NITRO_HOST
  // Several processes: the cluster primary that `WORKERS=N npm start` uses, forking the built server.
  const args = workers > 1 ? [join(root, 'scripts', 'cluster.mjs')] : [entry]
  if (workers > 1) Object.assign(env, { WORKERS: String(workers), CLUSTER_ENTRY: entry })
  if (profileDir) {
    mkdirSync(profileDir, { recursive: true })
    args.unshift('--cpu-prof', '--cpu-prof-dir', profileDir)
  }
  const child = startChild('app server', args, { env, cwd: tempDir })
  const base = `http://${HOST}:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (!running(child)) failWithLog(child, `The app server exited (code ${child.process.exitCode}) before it answered.`)
    try {
      const response = await fetch(`${base}/api/surveys`, { signal: AbortSignal.timeout(2000) })
      await response.arrayBuffer()
      if (response.status === 200) return base
    }
    catch { /* not listening yet */ }
    if (Date.now() > deadline) failWithLog(child, 'The app server did not answer GET /api/surveys with 200 within 60 s.')
    await new Promise(done => setTimeout(done, 100))
  }
}

// ---------------------------------------------------------------------------------------------------
// Seeding, in-process through the project's own services

interface Seed { genUserKey: string, authToken: string, passwordUsers: string[] }

const SIGN_IN_PASSWORD = 'Legitimate-password-9'
const PASSWORD_USERS = 20

/** --db postgres: the PostgreSQL server the benchmark creates its database on (and drops it afterwards). */
function postgresServerUrl(): string | undefined {
  return process.env.BENCH_POSTGRES_URL || process.env.TEST_POSTGRES_URL || undefined
}
let benchDatabase: string | undefined

async function onPostgresServer(statement: string) {
  const client = new pg.Client({ connectionString: postgresServerUrl() })
  await client.connect()
  try {
    await client.query(statement)
  }
  finally {
    await client.end()
  }
}

/** A fresh database for this run: a SQLite file in the temporary folder, or a new PostgreSQL database. */
async function createDatabase(builtMigrations: string): Promise<{ url: string, db: Db, close: () => Promise<void> }> {
  const migrations = existsSync(join(builtMigrations, 'meta', '_journal.json')) ? builtMigrations : undefined
  if (engine === 'sqlite') {
    const url = join(tempDir!, 'bench.db')
    // Migrate with the build's own migrations, so the schema matches the server that runs.
    const { db, sqlite } = openDatabase(url, migrations ? { migrationsFolder: migrations } : {})
    return { url, db, close: async () => void sqlite.close() }
  }
  benchDatabase = `gateway_bench_${process.pid}_${randomBytes(4).toString('hex')}`
  await onPostgresServer(`CREATE DATABASE ${benchDatabase}`)
  const url = new URL(postgresServerUrl()!)
  url.pathname = `/${benchDatabase}`
  const handle = openPostgres(url.toString(), { poolSize: 4, migrationsFolder: migrations ? join(migrations, 'postgres') : join(root, 'drizzle', 'postgres') })
  await handle.ready
  return { url: url.toString(), db: handle.db, close: handle.close }
}

async function seed(db: Db): Promise<Seed> {
  const genUserKey = randomBytes(30).toString('base64url') // 40 characters
  const results = await upsertSurveys(db, [
    { slug: 'bench-open', name: 'Bench open survey', supportEmail: 'bench@example.org', state: 'active', allowGenUsers: true },
    { slug: 'bench-partner', name: 'Bench partner survey', supportEmail: 'bench@example.org', state: 'active', allowGenUsers: true, genUserKey, authModes: ['username', 'token'] },
  ], { allowPrivateWebhooks: false })
  const partner = results.find(result => result.survey.slug === 'bench-partner')
  if (!partner) throw new Error('seeding did not create bench-partner')
  const { authToken } = await createOrUpdateFromPartner(db, partner.survey, { username: 'existing' })
  const passwordUsers = Array.from({ length: PASSWORD_USERS }, (_, i) => `member-${i}`)
  for (const username of passwordUsers) await createOrUpdateFromPartner(db, partner.survey, { username, password: SIGN_IN_PASSWORD })
  return { genUserKey, authToken, passwordUsers }
}

/** Partner create-user tokens signed ahead of the measurement, one username each. */
class TokenPool {
  private tokens: string[] = []
  private cursor = 0
  reused = 0

  constructor(private readonly secret: string) {}

  get remaining() {
    return this.tokens.length - this.cursor
  }

  async add(count: number) {
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(this.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    for (let done = 0; done < count; done += 1000) {
      const batch: Promise<string>[] = []
      for (let i = done; i < Math.min(count, done + 1000); i++)
        batch.push(new SignJWT({ username: `new-${this.tokens.length + i}` }).setProtectedHeader({ alg: 'HS256' }).sign(key))
      this.tokens.push(...await Promise.all(batch))
    }
  }

  take(): string {
    if (this.cursor < this.tokens.length) return this.tokens[this.cursor++]!
    this.reused++ // kept from happening by maxOverallRequests; counted in case it does
    return this.tokens[this.tokens.length - 1]!
  }
}

// ---------------------------------------------------------------------------------------------------
// Scenarios and measurement

type Target = 'bare' | 'app'

interface Scenario {
  name: string
  target: Target
  method: 'GET' | 'POST'
  path: string
  /** A fixed JSON body. */
  body?: string
  /** A different JSON body for every request (drawn from a pre-signed pool). */
  nextBody?: () => string
  /** How many requests the run may make at most (the pool's size). */
  maxRequests?: () => number | undefined
  /** Work before the run (signing tokens), given the ceiling's req/s. */
  prepare?: (bareRequestsPerSecond: number) => Promise<void>
  /** Something to report after the run, if anything. */
  afterRun?: () => string | undefined
  /** A measurement of its own instead of autocannon's. */
  run?: (base: string, bareRequestsPerSecond: number) => Promise<Measured>
}

interface Row {
  name: string
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  errors: number
  ratio: number
}

interface Measured { row: Row, notes: string[], details?: Record<string, unknown> }

const jsonHeaders = { 'content-type': 'application/json' }

/** Latencies of the 2xx answers in ms, unrounded (autocannon's own histogram keeps whole milliseconds). */
class Latencies {
  private values = new Float64Array(1 << 16)
  private count = 0

  add(ms: number) {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2)
      grown.set(this.values)
      this.values = grown
    }
    this.values[this.count++] = ms
  }

  percentiles(...ps: number[]): number[] {
    const sorted = this.values.subarray(0, this.count).sort()
    return ps.map(p => this.count ? sorted[Math.min(this.count - 1, Math.ceil((p / 100) * this.count) - 1)]! : 0)
  }
}

function runAutocannon(base: string, scenario: Scenario, seconds: number, latencies?: Latencies): Promise<autocannon.Result> {
  const request: autocannon.Request = {
    method: scenario.method,
    path: scenario.path,
    headers: scenario.method === 'POST' ? jsonHeaders : {},
  }
  if (scenario.body !== undefined) request.body = scenario.body
  const nextBody = scenario.nextBody
  if (nextBody) {
    request.setupRequest = (built) => {
      built.body = nextBody()
      return built
    }
  }
  const max = scenario.maxRequests?.()
  return new Promise((done, fail) => {
    const instance = autocannon({
      url: base,
      connections: CONNECTIONS,
      duration: seconds,
      requests: [request],
      ...(max !== undefined ? { maxOverallRequests: Math.max(CONNECTIONS, max) } : {}),
    }, (error: unknown, result) => error ? fail(error instanceof Error ? error : new Error(String(error))) : done(result))
    if (latencies) {
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        if (statusCode >= 200 && statusCode <= 299) latencies.add(responseTime)
      })
    }
  })
}

/** One request by hand before the load: a misconfigured scenario says why at once. */
async function preflight(base: string, scenario: Scenario): Promise<string | undefined> {
  try {
    const response = await fetch(`${base}${scenario.path}`, {
      method: scenario.method,
      headers: scenario.method === 'POST' ? jsonHeaders : undefined,
      body: scenario.nextBody?.() ?? scenario.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    })
    const text = await response.text()
    if (response.status < 200 || response.status > 299) return `a single request answered ${response.status}: ${text.slice(0, 300)}`
  }
  catch (error) {
    return `a single request failed: ${(error as Error).message}`
  }
  return undefined
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits

async function measure(base: string, scenario: Scenario, bareRequestsPerSecond: number | undefined): Promise<Measured> {
  const notes: string[] = []
  await scenario.prepare?.(bareRequestsPerSecond ?? 0)
  const problem = await preflight(base, scenario)
  if (problem) notes.push(problem)
  if (warmupSeconds > 0) await runAutocannon(base, scenario, warmupSeconds)
  const latencies = new Latencies()
  const result = await runAutocannon(base, scenario, durationSeconds, latencies)
  // Rounded first, so the ratio is exactly the one a reader computes from the table's figures.
  const requestsPerSecond = Math.round(result.duration > 0 ? result.requests.total / result.duration : 0)
  const errors = result.errors + result.non2xx
  if (errors) {
    const codes = Object.entries(result.statusCodeStats ?? {})
      .filter(([code]) => !code.startsWith('2'))
      .map(([code, stats]) => `${stats.count ?? 0}× ${code}`)
    notes.push(`errors: ${[...codes, result.errors ? `${result.errors} connection errors (${result.timeouts} timeouts)` : ''].filter(Boolean).join(', ')}`)
  }
  const after = scenario.afterRun?.()
  if (after) notes.push(after)
  if (result.duration < durationSeconds - 0.5) notes.push(`ran ${result.duration} s of ${durationSeconds} s (request budget used up)`)
  return { row: tableRow(scenario.name, requestsPerSecond, latencies, errors, bareRequestsPerSecond), notes }
}

/** A row of the table: latencies of the successful requests, the ratio from the rounded req/s. */
function tableRow(
  name: string,
  requestsPerSecond: number,
  latencies: Latencies,
  errors: number,
  bareRequestsPerSecond: number | undefined,
): Row {
  const [p50, p99] = latencies.percentiles(50, 99)
  return {
    name,
    requestsPerSecond,
    p50Ms: round(p50!, 2),
    p99Ms: round(p99!, 2),
    errors,
    ratio: bareRequestsPerSecond ? round(requestsPerSecond / bareRequestsPerSecond, 2) : 1,
  }
}

// ---------------------------------------------------------------------------------------------------
// Sign-in during a flood: legitimate password sign-ins measured while a crowd of bogus ones is in flight.

const FLOOD_IN_FLIGHT = 1000
const FLOOD_ADDRESSES = 10
const LEGITIMATE_CONNECTIONS = 4

function get(agent: Agent, base: string, path: string): Promise<number> {
  return new Promise((done) => {
    const url = new URL(path, base)
    httpRequest({ agent, host: url.hostname, port: url.port, path: url.pathname }, (response) => {
      response.resume()
      response.on('end', () => done(response.statusCode ?? 0))
    }).on('error', () => done(0)).end()
  })
}

function post(agent: Agent, base: string, path: string, body: string, address: string): Promise<number> {
  return new Promise((done) => {
    const url = new URL(path, base)
    const outgoing = httpRequest({
      agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-forwarded-for': address },
    }, (response) => {
      response.resume()
      response.on('end', () => done(response.statusCode ?? 0))
      response.on('error', () => done(0))
    })
    outgoing.on('error', () => done(0))
    outgoing.end(body)
  })
}

/**
 * Legitimate password sign-ins, LEGITIMATE_CONNECTIONS at a time, each from an address of its own (as
 * respondents behind different networks), measured while bench/flood.mjs keeps FLOOD_IN_FLIGHT bogus
 * sign-ins in flight from FLOOD_ADDRESSES addresses in another process.
 */
async function signInDuringFlood(base: string, passwordUsers: string[], bareRequestsPerSecond: number): Promise<Measured> {
  // The respondents' requests come through connections opened before the flood, as through a reverse
  // proxy's pool of upstream connections: a flood that opens a thousand new connections at once fills
  // the kernel's accept queue, and any new connection then waits its turn behind them.
  const agent = new Agent({ keepAlive: true, maxSockets: LEGITIMATE_CONNECTIONS })
  await Promise.all(Array.from({ length: LEGITIMATE_CONNECTIONS }, () => get(agent, base, '/api/surveys')))
  const flood = startChild('flood', [join(benchDir, 'flood.mjs')], {
    env: { ...process.env, FLOOD_BASE: base, FLOOD_IN_FLIGHT: String(FLOOD_IN_FLIGHT), FLOOD_ADDRESSES: String(FLOOD_ADDRESSES), FLOOD_USERS: passwordUsers.join(',') },
  })
  const readyBy = Date.now() + 30_000
  while (!flood.log.includes('ready')) {
    if (!running(flood)) failWithLog(flood, 'The flood exited before it was under way.')
    if (Date.now() > readyBy) failWithLog(flood, 'The flood did not get its first answers within 30 s.')
    await new Promise(done => setTimeout(done, 50))
  }

  const latencies = new Latencies()
  let legitimate = 0
  let errors = 0
  const errorStatuses: Record<string, number> = {}
  const started = performance.now()
  const deadline = started + durationSeconds * 1000
  const legitimateLoop = async (connection: number) => {
    for (let i = 0; performance.now() < deadline; i++) {
      const sent = performance.now()
      const username = passwordUsers[(connection + i * LEGITIMATE_CONNECTIONS) % passwordUsers.length]!
      const body = JSON.stringify({ survey: 'bench-partner', username, password: SIGN_IN_PASSWORD })
      const status = await post(agent, base, '/api/auth/login/alias', body, `198.51.${connection}.${i % 250}`)
      legitimate++
      if (status === 200) latencies.add(performance.now() - sent)
      else {
        errors++
        errorStatuses[status] = (errorStatuses[status] ?? 0) + 1
      }
    }
  }
  await Promise.all(Array.from({ length: LEGITIMATE_CONNECTIONS }, (_, connection) => legitimateLoop(connection)))
  const elapsedSeconds = (performance.now() - started) / 1000
  agent.destroy()

  const exited = new Promise<void>(done => flood.process.once('exit', () => done()))
  flood.process.kill('SIGTERM')
  await exited
  const floodCounts = JSON.parse(flood.log.findLast(line => line.startsWith('{')) ?? '{"sent":0,"statuses":{}}') as { sent: number, statuses: Record<string, number> }

  const requestsPerSecond = Math.round(legitimate / elapsedSeconds)
  const notes = [`flood: ${floodCounts.sent} bogus sign-ins, ${FLOOD_IN_FLIGHT} in flight from ${FLOOD_ADDRESSES} addresses (${Object.entries(floodCounts.statuses).map(([code, count]) => `${count}× ${code}`).join(', ')}); ${legitimate} legitimate sign-ins`]
  if (errors) notes.push(`errors: ${Object.entries(errorStatuses).map(([code, count]) => `${count}× ${code === '0' ? 'no answer' : code}`).join(', ')}`)
  const row = tableRow('sign-in during a flood', requestsPerSecond, latencies, errors, bareRequestsPerSecond)
  return {
    row,
    notes,
    details: {
      floodInFlight: FLOOD_IN_FLIGHT,
      floodAddresses: FLOOD_ADDRESSES,
      floodRequests: floodCounts.sent,
      floodStatuses: floodCounts.statuses,
      legitimateConnections: LEGITIMATE_CONNECTIONS,
      legitimateRequests: legitimate,
      legitimateErrors: errors,
      p50Ms: row.p50Ms,
      p99Ms: row.p99Ms,
    },
  }
}

async function scenarios(seedData: Seed): Promise<Scenario[]> {
  const pool = new TokenPool(seedData.genUserKey)
  const existingToken = await new SignJWT({ username: 'existing' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(seedData.genUserKey))
  return [
    { name: 'bare node http', target: 'bare', method: 'GET', path: '/' },
    { name: 'GET /api/surveys', target: 'app', method: 'GET', path: '/api/surveys' },
    { name: 'GET /api/surveys/{slug}', target: 'app', method: 'GET', path: '/api/surveys/bench-partner' },
    {
      name: 'create-user (new respondent)',
      target: 'app',
      method: 'POST',
      path: '/api/surveys/bench-partner/create-user',
      nextBody: () => JSON.stringify({ token: pool.take() }),
      // Enough tokens even if this endpoint ran as fast as the bare server, plus what the warm-up,
      // the preflight and the requests built but never sent take.
      prepare: async (bare) => {
        const wanted = Math.min(600_000, Math.max(5_000, Math.ceil((bare || 20_000) * (durationSeconds + warmupSeconds) * 1.1)))
        const started = Date.now()
        await pool.add(wanted)
        console.log(`  (signed ${wanted} partner tokens in ${((Date.now() - started) / 1000).toFixed(1)} s)`)
      },
      maxRequests: () => pool.remaining - 4 * CONNECTIONS,
      afterRun: () => pool.reused ? `${pool.reused} requests reused a token: the pool ran out` : undefined,
    },
    {
      name: 'create-user (existing respondent)',
      target: 'app',
      method: 'POST',
      path: '/api/surveys/bench-partner/create-user',
      body: JSON.stringify({ token: existingToken }),
    },
    { name: 'login by token', target: 'app', method: 'POST', path: '/api/auth/login/token', body: JSON.stringify({ token: seedData.authToken }) },
    { name: 'generate-user', target: 'app', method: 'POST', path: '/api/surveys/bench-open/generate-user', body: '{}' },
    { name: 'GET /', target: 'app', method: 'GET', path: '/' },
    { name: 'GET /{slug}', target: 'app', method: 'GET', path: '/bench-open' },
    {
      name: 'sign-in during a flood',
      target: 'app',
      method: 'POST',
      path: '/api/auth/login/alias',
      run: (base, bare) => signInDuringFlood(base, seedData.passwordUsers, bare),
    },
  ]
}

// ---------------------------------------------------------------------------------------------------
// Report

interface TargetCheck { label: string, met: boolean }

const PUBLIC_GETS = ['GET /api/surveys', 'GET /api/surveys/{slug}']
const RATIO_TARGETS: Record<string, number> = {
  ...Object.fromEntries(PUBLIC_GETS.map(name => [name, 0.5])),
  'create-user (new respondent)': 0.25,
  'login by token': 0.3,
}

/** Scenarios bound by argon2id (tens of ms per request by design): measured against their own goal. */
const HASHING_SCENARIOS = ['generate-user', 'sign-in during a flood']
const FLOOD_P99_LIMIT_MS = 1000

function checkTargets(rows: Row[]): TargetCheck[] {
  const checks: TargetCheck[] = []
  for (const [name, minimum] of Object.entries(RATIO_TARGETS)) {
    const row = rows.find(candidate => candidate.name === name)
    if (row) checks.push({ label: `${name}: ratio ${row.ratio.toFixed(2)} ≥ ${minimum.toFixed(2)}`, met: row.ratio >= minimum })
  }
  const withErrors = rows.filter(row => row.errors > 0)
  checks.push({ label: `no errors${withErrors.length ? ` (errors in: ${withErrors.map(row => row.name).join(', ')})` : ''}`, met: withErrors.length === 0 })
  const slow = rows.filter(row => !HASHING_SCENARIOS.includes(row.name) && row.p99Ms >= P99_LIMIT_MS)
  checks.push({ label: `p99 < ${P99_LIMIT_MS} ms for all but ${HASHING_SCENARIOS.join(' and ')}${slow.length ? ` (over in: ${slow.map(row => `${row.name} ${row.p99Ms} ms`).join(', ')})` : ''}`, met: slow.length === 0 })
  const flood = rows.find(row => row.name === 'sign-in during a flood')
  if (flood) checks.push({ label: `sign-in during a flood: p99 ${flood.p99Ms} ms < ${FLOOD_P99_LIMIT_MS} ms with no errors`, met: flood.p99Ms < FLOOD_P99_LIMIT_MS && flood.errors === 0 })
  return checks
}

function printTable(rows: Row[]) {
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'ratio']
  const cells = rows.map(row => [
    row.name,
    String(row.requestsPerSecond),
    row.p50Ms.toFixed(2),
    row.p99Ms.toFixed(2),
    String(row.errors),
    row.ratio.toFixed(2),
  ])
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map(line => line[column]!.length)))
  const format = (line: string[]) => line.map((cell, column) => column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)).join('  ')
  console.log(format(header))
  console.log(widths.map(width => '-'.repeat(width)).join('  '))
  for (const line of cells) console.log(format(line))
}

/**
 * Each configuration keeps its own last run, so the README's tables for both engines stand side by side:
 * `results.json` (SQLite, one process), `results.postgres.json`, `results.sqlite.2-workers.json`, …
 */
function defaultResultsName(): string {
  if (engine === 'sqlite' && workers === 1) return 'results.json'
  return `results.${engine}${workers > 1 ? `.${workers}-workers` : ''}.json`
}

// ---------------------------------------------------------------------------------------------------

async function main() {
  const outputDir = process.env.BENCH_OUTPUT_DIR ? resolve(process.env.BENCH_OUTPUT_DIR) : join(root, '.output')
  if (!process.env.BENCH_OUTPUT_DIR) ensureBuilt()
  const entry = join(outputDir, 'server', 'index.mjs')
  if (!existsSync(entry)) throw new Error(`No built server at ${entry}`)
  const builtMigrations = join(outputDir, 'server', 'drizzle')

  tempDir = mkdtempSync(join(tmpdir(), 'respondent-gateway-bench-'))
  const database = await createDatabase(builtMigrations)
  const databaseFile = database.url
  const seedData = await seed(database.db).finally(() => database.close())

  const bareBase = await startBareServer()
  const appBase = await startAppServer(entry, databaseFile)
  const cpuList = cpus()
  console.log(`Respondent Gateway benchmark: ${engine}, ${workers} server process${workers > 1 ? 'es' : ''}, ${CONNECTIONS} connections, ${durationSeconds} s per scenario (after ${warmupSeconds} s of warm-up), `
    + `${cpuList.length} × ${cpuList[0]?.model ?? 'unknown CPU'}, Node ${process.version}`)
  console.log(`server: ${entry}${profileDir ? ` (profiling into ${profileDir})` : ''}\n`)

  const selected = (await scenarios(seedData)).filter(scenario => scenario.target === 'bare' || !only.length || only.some(part => scenario.name.toLowerCase().includes(part)))
  const rows: Row[] = []
  const notes: string[] = []
  const details: Record<string, Record<string, unknown>> = {}
  let bareRequestsPerSecond: number | undefined
  for (const scenario of selected) {
    console.log(`→ ${scenario.name}`)
    const base = scenario.target === 'bare' ? bareBase : appBase
    const measured = scenario.run
      ? await scenario.run(base, bareRequestsPerSecond ?? 0)
      : await measure(base, scenario, bareRequestsPerSecond)
    if (measured.details) details[scenario.name] = measured.details
    if (scenario.target === 'bare') bareRequestsPerSecond = measured.row.requestsPerSecond
    rows.push(measured.row)
    for (const note of measured.notes) {
      console.log(`  ! ${note}`)
      notes.push(`${scenario.name}: ${note}`)
    }
  }

  console.log('')
  printTable(rows)
  console.log('\nratio = req/s ÷ the bare server\'s req/s in this run. Targets:')
  for (const check of checkTargets(rows)) console.log(`  ${check.met ? 'met   ' : 'MISSED'}  ${check.label}`)
  if (notes.length) console.log(`\nNotes:\n${notes.map(note => `  - ${note}`).join('\n')}`)

  const results = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model ?? 'unknown',
      memoryGiB: round(totalmem() / 2 ** 30, 1),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    durationSeconds,
    connections: CONNECTIONS,
    engine,
    workers,
    scenarios: rows,
    details,
  }
  const resultsFile = process.env.BENCH_RESULTS ? resolve(process.env.BENCH_RESULTS) : join(root, 'bench', defaultResultsName())
  if (only.length || profileDir) {
    console.log(`\n${resultsFile} left as it was: ${only.length ? 'BENCH_ONLY' : 'BENCH_PROFILE'} runs are not the full benchmark.`)
    return
  }
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`)
  console.log(`\nWrote ${resultsFile}`)
}

let exitCode = 0
try {
  await main()
}
catch (error) {
  console.error(`\nBenchmark failed: ${error instanceof Error ? error.message : String(error)}`)
  exitCode = 1
}
finally {
  await cleanup()
}
if (profileDir) console.log(`CPU profile of the app server: ${profileDir}`)
process.exit(exitCode)
