import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import pgDriver from 'pg'
import { connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { asc, count } from 'drizzle-orm'
import { Webhook } from 'standardwebhooks'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '#server/database'
import { migrationsFolder } from '#server/database/paths'
import { MIGRATION_LOCK, openPostgres, type PostgresHandle } from '#server/database/postgres-engine'
import * as postgresSchema from '#server/database/schema.postgres'
import * as sqliteSchema from '#server/database/schema'
import { createOrUpdateFromPartner } from '#server/services/respondents'
import { findSurveyBySlug, upsertSurveys } from '#server/services/surveys'
import { root } from '../../scripts/ensure-build.mjs'
import { runCli } from '../support/cli'
import { createTestDatabase } from '../support/engine'
import { signPartnerToken } from '../support/jwt'
import { startExtraServer } from '../support/second-server'
import { startWebhookReceiver, waitFor } from '../support/webhook-receiver'

// Deployments on PostgreSQL (this file runs in the api-postgres project only): each test starts built
// servers of its own on a database of its own, created empty on TEST_POSTGRES_URL's server and dropped after.

const pg = postgresSchema as unknown as typeof sqliteSchema
const WEBHOOKS = { NUXT_WEBHOOKS_ALLOW_PRIVATE: 'true', NUXT_WEBHOOKS_POLL_MS: '100', NUXT_WEBHOOKS_RETRY_SCALE: '0.01', NUXT_WEBHOOKS_TIMEOUT_SECONDS: '2' }
const SECRET = 'deployments-partner-secret-0123456789abcdef'
const PASSWORD = 'Correct-horse9'
const WEBHOOK_SECRET = `whsec_${Buffer.from('a-webhook-signing-key-of-32-bytes!').toString('base64')}`

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function emptyDatabase() {
  const database = await createTestDatabase()
  cleanups.push(database.drop)
  return database
}
/** A connection of the test's own (opened after the servers, or it would be the one to migrate). */
function connectTo(url: string): PostgresHandle {
  const handle = openPostgres(url, { poolSize: 2, migrationsFolder: migrationsFolder('postgres') })
  cleanups.push(handle.close)
  return handle
}
async function serverOn(env: Record<string, string>) {
  const server = await startExtraServer(env)
  cleanups.push(server.stop)
  return server
}

async function call(base: string, path: string, init: { method?: string, body?: unknown, headers?: Record<string, string> } = {}) {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { accept: 'application/json', ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  const text = await response.text()
  return { status: response.status, body: text && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text }
}
const signIn = (base: string, body: { survey: string, username: string, password: string }) => call(base, '/api/auth/login/alias', { body })
const userInfo = (base: string, slug: string, accessToken: string) => call(base, `/api/surveys/${slug}/user-info`, { headers: { authorization: `Bearer ${accessToken}` } })

describe('two servers started at the same moment on one empty PostgreSQL database', () => {
  it('migrate, seed and create the auth secret once; both serve, and an access token of one works on the other', async () => {
    const database = await emptyDatabase()
    const env = { DATABASE_URL: database.url, NUXT_SEED_DEMO: 'true' }
    const [a, b] = await Promise.all([serverOn(env), serverOn(env)])

    // Seeded once: one partner secret printed, by one of them, and it is the one stored.
    const output = a.logs() + b.logs()
    expect(output.match(/JWT secret/g), output).toHaveLength(1)
    const partnerSecret = /JWT secret[^:]*: (\S+)/.exec(output)![1]!
    const db = connectTo(database.url).db
    expect((await db.select().from(pg.surveys)).map(survey => survey.slug).sort()).toEqual(['demo', 'partner'])
    const journal = JSON.parse(readFileSync(join(root, 'drizzle', 'postgres', 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }
    const applied = await (db as unknown as { execute: (query: string) => Promise<{ rows: { n: number }[] }> }).execute('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations')
    expect(applied.rows[0]!.n).toBe(journal.entries.length)
    expect(await db.select().from(pg.settings)).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'auth_secret' })]))

    // The printed secret signs create-user on either server, for one respondent.
    const created = await Promise.all([a, b].map(async server => call(server.url, '/api/surveys/partner/create-user', { body: { token: await signPartnerToken(partnerSecret, { username: 'first-start' }) } })))
    expect(created.map(answer => answer.status)).toEqual([200, 200])
    expect(created[1]!.body.userId).toBe(created[0]!.body.userId)

    // One auth secret: an access token signed by one server is accepted by the other, both ways.
    const generated = await call(a.url, '/api/surveys/demo/generate-user', { body: {} })
    expect(generated.status).toBe(200)
    const credentials = { survey: 'demo', username: generated.body.username, password: generated.body.password }
    for (const [signer, checker] of [[a, b], [b, a]] as const) {
      const signedIn = await signIn(signer.url, credentials)
      expect(signedIn.status).toBe(200)
      const onChecker = await userInfo(checker.url, 'demo', signedIn.body.accessToken)
      expect(onChecker.status).toBe(200)
      expect(onChecker.body).toMatchObject({ username: generated.body.username })
      expect((await userInfo(signer.url, 'demo', signedIn.body.accessToken)).status).toBe(200)
    }
  })
})

describe('the migration lock', () => {
  it('is not needed to open a database already at this version: the CLI answers while another process holds it', async () => {
    const database = await emptyDatabase()
    expect(runCli(['surveys:list'], database.url).status).toBe(0) // migrates the empty database
    // Held as a process stopped mid-migration would hold it (runCli below blocks this process, as it
    // blocked the test files that once hung here).
    const holder = new pgDriver.Client({ connectionString: database.url })
    await holder.connect()
    cleanups.push(() => holder.end())
    await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    const listed = runCli(['surveys:list'], database.url)
    expect(listed.status, listed.stderr).toBe(0)
    expect(listed.stdout).toContain('No surveys.')
  })
})

const freePort = () => new Promise<number>((resolve, reject) => {
  const probe = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as { port: number }
    probe.close(() => resolve(port))
  })
})
const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map(Number).filter(Boolean)
  }
  catch {
    return []
  }
}
/** The processes holding the server side of this client socket (ss: the kernel's socket table, with owners). */
function ownersOf(socket: Socket, serverPort: number): number[] {
  const lines = execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${serverPort} and dport = :${socket.localPort} )`], { encoding: 'utf8' })
  return [...lines.matchAll(/pid=(\d+)/g)].map(match => Number(match[1]))
}
/** One HTTP request written on a connection of its own, and the status line of its answer. */
function statusLineOn(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = ''
    socket.on('data', chunk => answer += chunk)
    socket.once('error', reject)
    socket.once('end', () => resolve(answer.split('\r\n')[0]!))
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nConnection: close\r\n\r\n`)
  })
}

describe('WORKERS=2 npm start on PostgreSQL', () => {
  it('both worker processes answer requests, and with both webhook workers running every event arrives once', async () => {
    const database = await emptyDatabase()
    const receiver = await startWebhookReceiver()
    cleanups.push(receiver.stop)
    const port = await freePort()
    const start = spawn(process.execPath, [join(root, 'scripts', 'start.mjs')], {
      cwd: root,
      env: { ...process.env, ...WEBHOOKS, WORKERS: '2', PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: database.url, NUXT_SEED_DEMO: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    start.stdout.on('data', chunk => output += chunk)
    start.stderr.on('data', chunk => output += chunk)
    const exited = new Promise<number | null>(resolve => start.once('exit', code => resolve(code)))
    const sockets: Socket[] = []
    try {
      const base = `http://127.0.0.1:${port}`
      await waitFor(() => fetch(`${base}/api/surveys`).then(response => response.status === 200, () => false), 60_000, `the workers to answer:\n${output}`)
      const [primary] = childrenOf(start.pid!)
      const workers = await waitFor(() => {
        const found = childrenOf(primary!)
        return found.length === 2 && found
      }, 60_000, 'two worker processes')

      // node:cluster hands each new connection to the next worker: open connections until each worker
      // holds one, and have every one of them answer a request.
      const served = new Set<number>()
      await waitFor(async () => {
        const socket = connect(port, '127.0.0.1')
        sockets.push(socket)
        await new Promise(resolve => socket.once('connect', resolve))
        const owners = await waitFor(() => {
          const found = ownersOf(socket, port).filter(pid => workers.includes(pid))
          return found.length > 0 && found
        }, 15_000, 'the connection handed to a worker')
        expect(await statusLineOn(socket, '/api/surveys')).toMatch(/^HTTP\/1\.1 200/)
        owners.forEach(pid => served.add(pid))
        return served.size === 2
      }, 60_000, 'both workers serving')
      expect([...served].sort()).toEqual([...workers].sort())

      const db = connectTo(database.url).db
      await upsertSurveys(db, [{ slug: 'hooks', name: 'Hooks', supportEmail: 'a@example.org', state: 'active', allowGenUsers: true, genUserKey: SECRET, notifications: [{ type: 'survey.respondent.created', url: `${receiver.origin}/hook` }] }], { allowPrivateWebhooks: true })
      const created = await Promise.all(Array.from({ length: 12 }, async (_, i) =>
        call(base, '/api/surveys/hooks/create-user', { body: { token: await signPartnerToken(SECRET, { username: `worker-${i}` }) } })))
      expect(created.map(answer => answer.status)).toEqual(Array.from({ length: 12 }, () => 200))
      const userIds = new Set(created.map(answer => String(answer.body.userId)))
      await waitFor(() => [...userIds].every(userId => receiver.received.some(hook => hook.json?.userId === userId)), 30_000, 'every event')
      const deliveries = await waitFor(async () => {
        const rows = await db.select().from(pg.webhookDeliveries).orderBy(asc(pg.webhookDeliveries.eventId))
        return rows.length === 12 && rows.every(row => row.status === 'delivered') && rows
      }, 15_000, 'every delivery settled')
      // Sent once each: one attempt per delivery, and no webhook-id twice at the receiver.
      expect(deliveries.map(row => row.attempts)).toEqual(Array.from({ length: 12 }, () => 1))
      expect((await db.select({ n: count() }).from(pg.webhookAttempts))[0]!.n).toBe(12)
      const ids = receiver.received.map(hook => hook.headers['webhook-id'])
      expect(new Set(ids).size).toBe(ids.length)
      expect(ids.sort()).toEqual(deliveries.map(row => row.id).sort())
    }
    finally {
      sockets.forEach(socket => socket.destroy())
      start.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  }, 180_000)
})

describe('the app on the database that db:copy filled from SQLite', () => {
  it('signs a respondent in by auth link and by password, and delivers the webhook that was pending in the SQLite file', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'rg-moved-'))
    cleanups.push(() => rmSync(folder, { recursive: true, force: true }))
    const receiver = await startWebhookReceiver()
    cleanups.push(receiver.stop)

    // The study on SQLite: a respondent with a password, and the webhook of their creation still pending
    // (no server ran to send it).
    const sqlitePath = join(folder, 'gateway.db')
    const source = openDatabase(sqlitePath)
    const sqliteDb: Db = source.db
    await upsertSurveys(sqliteDb, [{ slug: 'moved', name: 'Moved study', supportEmail: 'a@example.org', state: 'active', allowGenUsers: true, genUserKey: SECRET, authModes: ['username', 'token'], webhookSecret: WEBHOOK_SECRET, notifications: [{ type: 'survey.respondent.created', url: `${receiver.origin}/moved` }] }], { allowPrivateWebhooks: true })
    const alice = await createOrUpdateFromPartner(sqliteDb, (await findSurveyBySlug(sqliteDb, 'moved'))!, { username: 'alice', password: PASSWORD })
    const pending = sqliteDb.select().from(sqliteSchema.webhookDeliveries).all()
    expect(pending).toEqual([expect.objectContaining({ status: 'pending', attempts: 0, userId: Number(alice.userId) })])
    source.sqlite.close()

    const target = await emptyDatabase()
    const copied = runCli(['db:copy', '--from', sqlitePath, '--to', target.url], sqlitePath)
    expect(copied.status, copied.stderr).toBe(0)

    const server = await serverOn({ ...WEBHOOKS, DATABASE_URL: target.url })
    // The pending webhook, sent from PostgreSQL: the same delivery (webhook-id), signed with the survey's secret.
    const [hook] = await waitFor(() => receiver.received.length > 0 && receiver.received, 30_000, 'the pending webhook')
    expect(hook!.headers['webhook-id']).toBe(pending[0]!.id)
    expect(new Webhook(WEBHOOK_SECRET).verify(hook!.body, hook!.headers as Record<string, string>)).toMatchObject({ type: 'survey.respondent.created', userId: alice.userId })
    const db = connectTo(target.url).db
    const [delivery] = await waitFor(async () => {
      const rows = await db.select().from(pg.webhookDeliveries)
      return rows[0]?.status === 'delivered' && rows
    }, 15_000, 'the delivery recorded as delivered')
    expect(delivery).toMatchObject({ id: pending[0]!.id, attempts: 1 })

    // The auth link's token and the password both sign in, as the same respondent.
    const byLink = await call(server.url, '/api/auth/login/token', { body: { token: alice.authToken } })
    expect(byLink.status).toBe(200)
    const byPassword = await signIn(server.url, { survey: 'moved', username: 'alice', password: PASSWORD })
    expect(byPassword.status).toBe(200)
    for (const { body } of [byLink, byPassword])
      expect((await userInfo(server.url, 'moved', body.accessToken)).body).toMatchObject({ userId: alice.userId, username: 'alice' })
    expect((await signIn(server.url, { survey: 'moved', username: 'alice', password: 'Wrong-horse9' })).status).toBe(401)

    // New rows take ids past the copied ones.
    const bob = await call(server.url, '/api/surveys/moved/create-user', { body: { token: await signPartnerToken(SECRET, { username: 'bob' }) } })
    expect(bob.status).toBe(200)
    expect(Number(bob.body.userId)).toBeGreaterThan(Number(alice.userId))
  })
})
