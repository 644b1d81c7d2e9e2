import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAccessToken } from '#server/services/access-tokens'
import { upsertSurveys } from '#server/services/surveys'
import { schema } from '../support/engine'
import { signPartnerToken } from '../support/jwt'
import { startExtraServer, type ExtraServer } from '../support/second-server'
import { request, useTestServer } from '../support/server'
import { startWebhookReceiver, waitFor } from '../support/webhook-receiver'

const { respondents, webhookDeliveries } = schema

// Two built servers on one PostgreSQL database (this file runs in the api-postgres project only).
// A webhook attempt may take 2 s, so a claim's lease is 7 s (the attempt's timeout plus 5 s).
const WEBHOOKS = { NUXT_WEBHOOKS_ALLOW_PRIVATE: 'true', NUXT_WEBHOOKS_POLL_MS: '100', NUXT_WEBHOOKS_RETRY_SCALE: '0.01', NUXT_WEBHOOKS_TIMEOUT_SECONDS: '2' }
const receiver = await startWebhookReceiver()
const serverA = await useTestServer(WEBHOOKS)
let serverB: ExtraServer
const SECRET = 'multi-server-partner-secret-0123456789abcdef'
let adminToken: string

beforeAll(async () => {
  await upsertSurveys(serverA.db(), [
    { slug: 'shared', name: 'Shared study', supportEmail: 'a@example.org', state: 'active', allowGenUsers: true, genUserKey: SECRET, notifications: [{ type: 'survey.respondent.created', url: `${receiver.origin}/hook` }] },
    { slug: 'open', name: 'Open study', supportEmail: 'a@example.org', state: 'active', allowGenUsers: true },
  ], { allowPrivateWebhooks: true })
  adminToken = (await createAccessToken(serverA.db(), { name: 'multi-server', scopes: ['surveys:read', 'surveys:write'] })).token
  serverB = await startExtraServer({ ...WEBHOOKS, DATABASE_URL: serverA.databasePath })
})

afterAll(async () => {
  await serverB?.stop()
  await receiver.stop()
})

/** A request to server B, answered as `request` answers for server A. */
async function requestB(path: string, init: { method?: string, body?: unknown, headers?: Record<string, string> } = {}) {
  const response = await fetch(`${serverB.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { accept: 'application/json', ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : text }
}

const createUser = async (on: 'A' | 'B', username: string) => {
  const body = { token: await signPartnerToken(SECRET, { username }) }
  return on === 'A'
    ? request('/api/surveys/shared/create-user', { method: 'POST', body })
    : requestB('/api/surveys/shared/create-user', { method: 'POST', body })
}
const refreshCookie = (headers: Headers) => headers.getSetCookie().find(value => value.startsWith('rg_refresh='))?.split(';')[0]

describe('two servers on one PostgreSQL database', () => {
  it('20 concurrent first create-user calls for one username, split across both servers: one respondent, twenty 200s with the same answer', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => createUser(i % 2 ? 'B' : 'A', 'racer')))
    expect(answers.map(answer => answer.status)).toEqual(Array.from({ length: 20 }, () => 200))
    expect(new Set(answers.map(answer => JSON.stringify(answer.body))).size).toBe(1)
    const rows = (await serverA.db().select().from(respondents)).filter(row => row.username === 'racer')
    expect(rows).toHaveLength(1)
  })

  it('with both webhook workers running, every event arrives exactly once', async () => {
    const created = await Promise.all(Array.from({ length: 12 }, (_, i) => createUser(i % 2 ? 'B' : 'A', `hooked-${i}`)))
    expect(created.every(answer => answer.status === 200)).toBe(true)
    const userIds = new Set(created.map(answer => String(answer.body.userId)))
    userIds.add(String((await createUser('A', 'racer')).body.userId))
    await waitFor(() => [...userIds].every(userId => receiver.received.some(hook => hook.json?.userId === userId)), 15_000, 'every event')
    // Both workers keep polling: give them time to send anything twice before counting.
    await new Promise(resolve => setTimeout(resolve, 1000))
    const ids = receiver.received.map(hook => hook.headers['webhook-id'])
    expect(ids).toHaveLength(userIds.size)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('a survey changed through server A is seen by server B within a second, its cached entries included', async () => {
    expect((await requestB('/api/surveys/open')).body.name).toBe('Open study') // now in B's cache
    const renamed = await request('/api/admin/surveys/open', { method: 'PATCH', body: { name: 'Open study (renamed)' }, headers: { authorization: `Bearer ${adminToken}` } })
    expect(renamed.status).toBe(200)
    await new Promise(resolve => setTimeout(resolve, 1000))
    expect((await requestB('/api/surveys/open')).body.name).toBe('Open study (renamed)')

    const suspended = await request('/api/admin/surveys/shared', { method: 'PATCH', body: { state: 'suspended' }, headers: { authorization: `Bearer ${adminToken}` } })
    expect(suspended.status).toBe(200)
    const refused = await createUser('B', 'too-late')
    expect(refused.status).toBe(403)
    expect((await request('/api/admin/surveys/shared', { method: 'PATCH', body: { state: 'active' }, headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(200)
  })

  it('a refresh token rotated on server A and replayed on server B ends the whole sign-in', async () => {
    const { body } = await createUser('A', 'rotating')
    const login = await request('/api/auth/login/token', { method: 'POST', body: { token: body.authToken } })
    const first = refreshCookie(login.headers)!
    const rotated = await request('/api/auth/refresh', { method: 'POST', headers: { cookie: first } })
    expect(rotated.status).toBe(200)
    const second = refreshCookie(rotated.headers)!
    const replayed = await requestB('/api/auth/refresh', { method: 'POST', headers: { cookie: first } })
    expect(replayed.status).toBe(401)
    expect(replayed.body.message).toMatch(/used twice/)
    expect((await requestB('/api/auth/refresh', { method: 'POST', headers: { cookie: second } })).status).toBe(401)
  })

  it('a server killed in the middle of a delivery loses no event: another server sends it once the lease has ended', async () => {
    // Only B's worker runs now (A polls once an hour), so the delivery in flight is B's.
    await serverA.restart({ NUXT_WEBHOOKS_POLL_MS: '3600000' })
    const arrivals: { id: string, at: number }[] = []
    const held: ServerResponse[] = []
    const slow = createServer((incoming: IncomingMessage, response: ServerResponse) => {
      incoming.resume()
      arrivals.push({ id: String(incoming.headers['webhook-id']), at: Date.now() })
      if (arrivals.length === 1) held.push(response) // the first attempt never gets an answer
      else response.end('ok')
    })
    await new Promise<void>(resolve => slow.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/slow`
      await upsertSurveys(serverA.db(), [{ slug: 'fragile', name: 'Fragile', supportEmail: 'a@example.org', state: 'active', allowGenUsers: true, genUserKey: SECRET, notifications: [{ type: 'survey.respondent.created', url }] }], { allowPrivateWebhooks: true })
      const created = await request('/api/surveys/fragile/create-user', { method: 'POST', body: { token: await signPartnerToken(SECRET, { username: 'fragile-1' }) } })
      expect(created.status).toBe(200)
      await waitFor(() => arrivals.length === 1, 15_000, 'the first attempt')
      await serverB.kill()
      serverB = await startExtraServer({ ...WEBHOOKS, DATABASE_URL: serverA.databasePath })
      const [first, second] = await waitFor(() => arrivals.length >= 2 && arrivals, 30_000, 'the attempt after the lease')
      expect(second!.id).toBe(first!.id) // the same delivery (webhook-id), sent again
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(6_000) // not before the lease ended
      const row = await waitFor(async () => (await serverA.db().select().from(webhookDeliveries)).find(delivery => delivery.id === first!.id && delivery.status === 'delivered'), 15_000, 'the delivery settled')
      expect(row.attempts).toBe(1)
    }
    finally {
      held.forEach(response => response.destroy())
      slow.closeAllConnections()
      await new Promise(resolve => slow.close(resolve))
    }
  })
})
