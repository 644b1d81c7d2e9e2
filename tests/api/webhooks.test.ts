import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { jwtVerify } from 'jose'
import { Webhook } from 'standardwebhooks'
import { useTestContext } from '@nuxt/test-utils/e2e'
import { findSurveyBySlug, upsertSurveys } from '#server/services/surveys'
import { nowSeconds, signPartnerToken } from '../support/jwt'
import { runCli } from '../support/cli'
import { request, useTestServer } from '../support/server'
import { startWebhookReceiver, waitFor, type ReceivedWebhook } from '../support/webhook-receiver'
import { schema } from '../support/engine'

const { webhookAttempts, webhookDeliveries } = schema

const receiver = await startWebhookReceiver()
afterAll(() => receiver.stop())
const server = await useTestServer({ NUXT_WEBHOOKS_ALLOW_PRIVATE: 'true', NUXT_WEBHOOKS_POLL_MS: '100', NUXT_WEBHOOKS_RETRY_SCALE: '0.01', NUXT_WEBHOOKS_TIMEOUT_SECONDS: '2', NUXT_PUBLIC_ORIGIN: 'https://gateway.example.org' })
const SECRET = 'webhook-partner-secret-0123456789-abcdefghij'
const WEBHOOK_SECRET = `whsec_${Buffer.from('a-webhook-signing-key-of-32-bytes!').toString('base64')}`
const types = ['survey.respondent.created', 'survey.session.started', 'survey.session.cancelled', 'survey.session.submitted'] as const
const hook = (path: string) => types.map(type => ({ type, url: `${receiver.origin}${path}` }))

beforeAll(async () => {
  await upsertSurveys(server.db(), [
    { slug: 'hooks', name: 'Hooks', supportEmail: 'a@example.org', state: 'active', allowGenUsers: true, genUserKey: SECRET, userCustomFields: true, userPersonalIdentifiers: true, minimumSubmissionInterval: 0, maximumDailySubmissions: 20, webhookSecret: WEBHOOK_SECRET, notifications: hook('/main') },
  ], { allowPrivateWebhooks: true })
})

const meals = [{ name: 'Breakfast', time: '08:00', foods: [{ description: 'Eggs', amount: 2, unit: 'items' }] }]

async function respondent(username: string, slug = 'hooks', claims: Record<string, unknown> = {}) {
  const created = await request(`/api/surveys/${slug}/create-user`, { method: 'POST', body: { token: await signPartnerToken(SECRET, { username, ...claims }) } })
  const login = await request('/api/auth/login/token', { method: 'POST', body: { token: created.body.authToken } })
  const headers = { authorization: `Bearer ${login.body.accessToken}` }
  return {
    ...created.body as { userId: string, authToken: string },
    start: () => request(`/api/surveys/${slug}/session`, { method: 'POST', headers }),
    cancel: () => request(`/api/surveys/${slug}/session`, { method: 'DELETE', headers }),
    submit: (sessionId?: string) => request(`/api/surveys/${slug}/submission`, { method: 'POST', headers, body: { sessionId, meals } }),
  }
}

const arrivals = (userId: string, path = '/main') => receiver.received.filter(r => r.path === path && r.json?.userId === userId)
const arrived = (userId: string, type: string, path = '/main') => waitFor(() => arrivals(userId, path).find(r => r.json.type === type), 15_000, `${type} for user ${userId}`)

describe('webhook bodies and signatures', () => {
  let created: ReceivedWebhook, started: ReceivedWebhook, cancelled: ReceivedWebhook, submitted: ReceivedWebhook
  let user: Awaited<ReturnType<typeof respondent>>
  let submissionId: string

  beforeAll(async () => {
    user = await respondent('hook-user', 'hooks', { name: 'Hana', customFields: [{ name: 'arm', value: 'A', public: true }, { name: 'nhs', value: '999-secret' }] })
    const first = await user.start()
    await user.cancel()
    const second = await user.start()
    const result = await user.submit(second.body.sessionId)
    submissionId = result.body.submission.id
    created = await arrived(user.userId, 'survey.respondent.created')
    started = await arrived(user.userId, 'survey.session.started')
    cancelled = await arrived(user.userId, 'survey.session.cancelled')
    submitted = await arrived(user.userId, 'survey.session.submitted')
    expect(started.json.sessionId).toBe(first.body.sessionId)
  })

  it('each event arrives with the Intake24-compatible body, ids as strings', async () => {
    const surveyId = String((await findSurveyBySlug(server.db(), 'hooks'))!.id)
    expect(created.json).toEqual({ type: 'survey.respondent.created', surveyId, userId: user.userId, username: 'hook-user' })
    expect(started.json).toEqual({ type: 'survey.session.started', surveyId, userId: user.userId, sessionId: expect.any(String) })
    expect(cancelled.json).toEqual({ type: 'survey.session.cancelled', surveyId, userId: user.userId, sessionId: started.json.sessionId })
    expect(submitted.json).toMatchObject({
      type: 'survey.session.submitted',
      surveyId,
      userId: user.userId,
      sessionId: expect.any(String),
      submissionId,
      data: {
        id: submissionId,
        startTime: expect.any(String),
        endTime: expect.any(String),
        submissionTime: expect.any(String),
        meals: [{ name: 'Breakfast', time: '08:00', foods: [{ description: 'Eggs', amount: '2', unit: 'items' }] }],
        user: { id: user.userId, name: 'Hana', aliases: [{ username: 'hook-user' }], customFields: [{ name: 'arm', value: 'A' }] },
      },
    })
  })

  it('carries no auth token, password or non-public field', async () => {
    for (const delivery of [created, started, cancelled, submitted]) {
      expect(delivery.body).not.toContain(user.authToken)
      expect(delivery.body).not.toContain('999-secret')
      expect(delivery.body).not.toMatch(/password|authToken/)
    }
  })

  it('verifies with Standard Webhooks and the survey secret; webhook-id is the delivery id', async () => {
    const verifier = new Webhook(WEBHOOK_SECRET)
    for (const delivery of [created, started, cancelled, submitted]) {
      const headers = { 'webhook-id': String(delivery.headers['webhook-id']), 'webhook-timestamp': String(delivery.headers['webhook-timestamp']), 'webhook-signature': String(delivery.headers['webhook-signature']) }
      expect(verifier.verify(delivery.body, headers)).toEqual(delivery.json)
      expect(() => new Webhook(`whsec_${Buffer.from('another-key-another-key-another!').toString('base64')}`).verify(delivery.body, headers)).toThrow()
    }
    expect(String(submitted.headers['user-agent'])).toMatch(/^RespondentGateway\/\d/)
  })

  it('carries the Bearer JWT existing Intake24 receivers verify: HS256 with genUserKey, aud = URL, exp within 60 s', async () => {
    const token = String(submitted.headers.authorization).replace(/^Bearer /, '')
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET), { algorithms: ['HS256'], audience: `${receiver.origin}/main`, issuer: 'https://gateway.example.org' })
    expect(protectedHeader.alg).toBe('HS256')
    expect(payload).toMatchObject({ type: 'survey.session.submitted', userId: user.userId, submissionId, jti: expect.any(String) })
    expect(payload.exp! - payload.iat!).toBe(60)
    expect(payload.exp! - nowSeconds()).toBeLessThanOrEqual(60)
  })

  it('plays the existing REDCap receiver: JWT verified with a 60 s skew, data.endTime and the username read', async () => {
    const token = String(submitted.headers.authorization).replace(/^Bearer /, '')
    await jwtVerify(token, new TextEncoder().encode(SECRET), { clockTolerance: 60 })
    const body = JSON.parse(submitted.body)
    expect(new Date(body.data.endTime).getTime()).toBeGreaterThan(0)
    expect(body.data.user.aliases[0].username).toBe('hook-user')
  })
})

describe('webhook failure paths', () => {
  const deliveryRows = async (path: string) => (await server.db().select().from(webhookDeliveries)).filter(row => row.url.endsWith(path))

  it('retries 503 and delivers on a later attempt with the same webhook-id', async () => {
    await upsertSurveys(server.db(), [{ slug: 'hooks', notifications: hook('/flaky') }], { allowPrivateWebhooks: true })
    receiver.answer({ status: 503 }, { status: 503 })
    const user = await respondent('flaky-user')
    const tries = await waitFor(() => {
      const found = arrivals(user.userId, '/flaky')
      return found.length >= 3 && found
    }, 15_000, 'three attempts')
    expect(new Set(tries.map(t => t.headers['webhook-id'])).size).toBe(1)
    await waitFor(async () => (await deliveryRows('/flaky')).find(row => row.status === 'delivered' && row.userId === Number(user.userId)))
    const row = (await deliveryRows('/flaky')).find(r => r.userId === Number(user.userId))!
    expect(row.attempts).toBe(3)
  })

  it('does not retry a 400 and does not follow a redirect', async () => {
    await upsertSurveys(server.db(), [{ slug: 'hooks', notifications: [{ type: 'survey.respondent.created', url: `${receiver.origin}/refuse` }] }], { allowPrivateWebhooks: true })
    // The answer's body holds U+0000, which PostgreSQL cannot store as text: the attempt is recorded all the same.
    receiver.answer({ status: 400, body: 'bad\u0000payload' })
    const refused = await respondent('refused-user')
    const failed = await waitFor(async () => (await deliveryRows('/refuse')).find(row => row.userId === Number(refused.userId) && row.status === 'failed'))
    const [attempt] = await server.db().select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, failed.id))
    expect(attempt).toMatchObject({ statusCode: 400, responseSnippet: 'bad\uFFFDpayload' })
    await new Promise(resolve => setTimeout(resolve, 500))
    expect(arrivals(refused.userId, '/refuse')).toHaveLength(1)

    await upsertSurveys(server.db(), [{ slug: 'hooks', notifications: [{ type: 'survey.respondent.created', url: `${receiver.origin}/moved` }] }], { allowPrivateWebhooks: true })
    receiver.answer({ status: 302, headers: { location: `${receiver.origin}/elsewhere` } })
    const moved = await respondent('moved-user')
    const row = await waitFor(async () => (await deliveryRows('/moved')).find(r => r.userId === Number(moved.userId) && r.status === 'failed'))
    expect(row.lastError).toMatch(/redirect not followed/)
    expect(receiver.received.filter(r => r.path === '/elsewhere')).toHaveLength(0)
  })

  it('delivers what was committed while the receiver was down, after a hard kill and restart', async () => {
    await upsertSurveys(server.db(), [{ slug: 'hooks', notifications: hook('/later') }], { allowPrivateWebhooks: true })
    await receiver.stop()
    const user = await respondent('patient-user')
    const session = await user.start()
    expect(session.status).toBe(200)
    useTestContext().serverProcess!.kill('SIGKILL')
    await server.restart()
    await receiver.start()
    await arrived(user.userId, 'survey.respondent.created', '/later')
    await arrived(user.userId, 'survey.session.started', '/later')
    const order = arrivals(user.userId, '/later').map(r => r.json.type)
    expect(order.indexOf('survey.respondent.created')).toBeLessThan(order.indexOf('survey.session.started'))
  })

  it('refuses a private-address target when private targets are not allowed', async () => {
    await server.restart({ NUXT_WEBHOOKS_ALLOW_PRIVATE: 'false' })
    await upsertSurveys(server.db(), [{ slug: 'hooks', notifications: [{ type: 'survey.respondent.created', url: `${receiver.origin}/private` }] }], { allowPrivateWebhooks: true })
    const user = await respondent('private-user')
    const row = await waitFor(async () => (await deliveryRows('/private')).find(r => r.userId === Number(user.userId) && r.status === 'failed'))
    expect(row.lastError).toMatch(/private or reserved address/)
    expect(receiver.received.filter(r => r.path === '/private')).toHaveLength(0)
    const survey = (await server.db().select().from(webhookDeliveries).where(eq(webhookDeliveries.id, row.id)))[0]
    expect(survey?.attempts).toBe(1)
  })

  it('lists deliveries with their attempts and re-sends one through the CLI', async () => {
    const listed = runCli(['deliveries:list', '--survey', 'hooks', '--status', 'failed', '--json'], server.databasePath)
    expect(listed.status).toBe(0)
    const failed = JSON.parse(listed.stdout) as { id: string, url: string, attemptLog: { statusCode: number | null }[] }[]
    const refused = failed.find(d => d.url.endsWith('/refuse'))!
    expect(refused.attemptLog).toEqual([expect.objectContaining({ statusCode: 400, response: 'bad\uFFFDpayload' })])
    expect(runCli(['deliveries:list', '--status', 'nonsense'], server.databasePath).status).toBe(1)

    await server.restart()
    const before = receiver.received.filter(r => r.path === '/refuse').length
    const resent = runCli(['deliveries:resend', refused.id], server.databasePath)
    expect(resent.status).toBe(0)
    await waitFor(() => receiver.received.filter(r => r.path === '/refuse').length > before, 15_000, 'the re-sent delivery')
    const again = receiver.received.filter(r => r.path === '/refuse').at(-1)!
    expect(again.headers['webhook-id']).toBe(refused.id)
    expect(runCli(['deliveries:resend', 'msg_unknown'], server.databasePath).status).toBe(1)
  })

  it('refuses private targets when the survey is saved', async () => {
    await expect(upsertSurveys(server.db(), [{ slug: 'hooks', notifications: [{ type: 'survey.session.started', url: 'http://169.254.169.254/latest' }] }], { allowPrivateWebhooks: false })).rejects.toThrow(/not valid/)
  })
})
