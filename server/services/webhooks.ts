import { createHash, createHmac, randomUUID } from 'node:crypto'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { and, asc, desc, eq, inArray } from 'drizzle-orm'
import { SignJWT } from 'jose'
import { engineOf, read, tables, transaction, type Db } from '#server/database'
import type { DeliveryRow } from '#server/database/engine'
import type { SurveyRow, webhookDeliveries } from '#server/database/schema'
import { exec, first, rows } from '#server/database/steps'
import { notFound } from '#server/utils/errors'
import { hmacKey } from '#server/utils/hmac-keys'
import { resolveWebhookTarget, UnsafeTargetError } from '#server/utils/ssrf'
import { auditIn, type Actor } from './audit'

export const DELIVERY_TIMEOUT_MS = 10_000
/** Waits before retry n (1-based): about 10 s, 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — over 24 h in all. */
export const RETRY_SCHEDULE_SECONDS = [10, 60, 300, 1800, 7200, 18000, 36000, 36000]
/**
 * How long a claim holds beyond the delivery's own timeout: a delivery claimed by a server that died is
 * sent by another one once the lease ends, and a live server always settles its claim before then.
 */
export const LEASE_MARGIN_MS = 5_000
const leaseFor = (config: WebhookConfig) => (config.timeoutMs ?? DELIVERY_TIMEOUT_MS) + LEASE_MARGIN_MS
const SNIPPET_BYTES = 1024

export interface WebhookConfig {
  allowPrivate: boolean
  /** `iss` of the Bearer JWT: the public origin, or the app name. */
  issuer: string
  userAgent: string
  /** Multiplies the retry schedule (1 in production; small in tests so retries happen in milliseconds). */
  retryScale: number
  timeoutMs?: number
}

export type { DeliveryRow }
export type DeliveryStatus = typeof webhookDeliveries.$inferSelect['status']

/**
 * Claims due deliveries for this worker. Only the oldest pending delivery of each respondent and target
 * is eligible, so a respondent's events arrive in the order they happened. The claim is a lease in the
 * database (engine.ts), so several server processes never send the same one twice, and a delivery
 * claimed by a process that died is sent by another once the lease ends.
 */
export function claimDueDeliveries(
  db: Db,
  limit: number,
  now = new Date(),
  leaseMs = DELIVERY_TIMEOUT_MS + LEASE_MARGIN_MS,
): Promise<DeliveryRow[]> {
  return engineOf(db).claimDueDeliveries(db, limit, now, leaseMs)
}

/** Standard Webhooks: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, keyed with the decoded `whsec_` secret. */
export function standardWebhookSignature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`
}

/** The Bearer JWT existing Intake24 receivers verify: HS256 with the survey's secret, aud = target, 60 s life. */
export async function intake24Jwt(
  genUserKey: string,
  payload: Record<string, unknown>,
  url: string,
  issuer: string,
  body: string,
  now: Date,
): Promise<string> {
  const { data: _data, ...eventFields } = payload
  const iat = Math.floor(now.getTime() / 1000)
  return new SignJWT({ ...eventFields, body_sha256: createHash('sha256').update(body).digest('hex') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setAudience(url)
    .setIssuer(issuer)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + 60)
    .sign(await hmacKey(genUserKey, 'HS256'))
}

interface AttemptOutcome { statusCode: number | null, error: string | null, snippet: string | null, retryAfterSeconds?: number }

function readSnippet(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    response.on('data', (chunk: Buffer) => {
      if (size < SNIPPET_BYTES) chunks.push(chunk)
      size += chunk.length
    })
    // As text that either engine stores: PostgreSQL refuses U+0000, which a receiver may well send.
    const text = () => Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8').replaceAll('\0', '\uFFFD')
    response.on('end', () => resolve(text()))
    response.on('error', () => resolve(text()))
  })
}

function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now.getTime()) / 1000)
}

/** How a lookup asked for every address (`all: true`) answers; node's LookupFunction type leaves it out. */
type AllAddressesCallback = (error: null, addresses: { address: string, family: number }[]) => void

/** One POST to the checked address (never following redirects), bounded by the timeout. */
async function post(
  rawUrl: string,
  headers: Record<string, string>,
  body: string,
  config: WebhookConfig,
  now: Date,
): Promise<AttemptOutcome> {
  let target
  try {
    target = await resolveWebhookTarget(rawUrl, config.allowPrivate)
  }
  catch (error) {
    return { statusCode: null, error: error instanceof UnsafeTargetError ? `refused: ${error.message}` : `DNS: ${(error as Error).message}`, snippet: null }
  }
  const pinnedLookup: LookupFunction = (_hostname, options, callback) => {
    const answerAll = callback as unknown as AllAddressesCallback
    if ((options as { all?: boolean }).all) answerAll(null, [{ address: target.address, family: target.family }])
    else callback(null, target.address, target.family)
  }
  const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve) => {
    const request = send(target.url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: pinnedLookup,
      timeout: config.timeoutMs ?? DELIVERY_TIMEOUT_MS,
    }, (response) => {
      void readSnippet(response).then(snippet => resolve({
        statusCode: response.statusCode ?? null,
        error: null,
        snippet,
        retryAfterSeconds: parseRetryAfter(response.headers['retry-after'], now),
      }))
    })
    request.on('timeout', () => request.destroy(new Error(`no answer within ${(config.timeoutMs ?? DELIVERY_TIMEOUT_MS) / 1000} s`)))
    request.on('error', error => resolve({ statusCode: null, error: error.message, snippet: null }))
    request.end(body)
  })
}

type Verdict = 'delivered' | 'retry' | 'failed'

function verdictFor(outcome: AttemptOutcome): Verdict {
  if (outcome.error?.startsWith('refused:')) return 'failed'
  if (outcome.statusCode === null) return 'retry'
  if (outcome.statusCode >= 200 && outcome.statusCode < 300) return 'delivered'
  if (outcome.statusCode === 429 || outcome.statusCode >= 500) return 'retry'
  return 'failed'
}

/** Sends one claimed delivery and records the attempt; schedules the retry or settles the delivery. */
export async function attemptDelivery(db: Db, delivery: DeliveryRow, config: WebhookConfig, now = new Date()): Promise<Verdict> {
  const { event, survey } = await read(db, function* (db) {
    const { surveyEvents, surveys, webhookDeliveries } = tables(db)
    const event = yield* first(db.select().from(surveyEvents).where(eq(surveyEvents.id, delivery.eventId)))
    const survey = yield* first(db.select().from(surveys).where(eq(surveys.id, delivery.surveyId)))
    if (!event || !survey) {
      yield* exec(db.update(webhookDeliveries).set({ status: 'failed', lastError: 'survey or event no longer exists', lockedUntil: null }).where(eq(webhookDeliveries.id, delivery.id)))
    }
    return { event, survey }
  })
  if (!event || !survey) return 'failed'
  const body = event.payload
  const timestamp = Math.floor(now.getTime() / 1000)
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': config.userAgent,
    'webhook-id': delivery.id,
    'webhook-timestamp': String(timestamp),
  }
  if (survey.webhookSecret) headers['webhook-signature'] = standardWebhookSignature(survey.webhookSecret, delivery.id, timestamp, body)
  if (survey.genUserKey) headers.authorization = `Bearer ${await intake24Jwt(survey.genUserKey, JSON.parse(body), delivery.url, config.issuer, body, now)}`

  const started = Date.now()
  const outcome = await post(delivery.url, headers, body, config, now)
  const durationMs = Date.now() - started
  let verdict = verdictFor(outcome)
  if (outcome.statusCode !== null && outcome.statusCode >= 300 && outcome.statusCode < 400) outcome.error = 'redirect not followed'
  const attempts = delivery.attempts + 1
  const schedule = RETRY_SCHEDULE_SECONDS[attempts - 1]
  if (verdict === 'retry' && schedule === undefined) verdict = 'failed'

  await transaction(db, function* (tx) {
    const { webhookAttempts, webhookDeliveries } = tables(tx)
    yield* exec(tx.insert(webhookAttempts).values({
      deliveryId: delivery.id,
      startedAt: now,
      durationMs,
      statusCode: outcome.statusCode,
      error: outcome.error,
      responseSnippet: outcome.snippet,
    }))
    const lastError = verdict === 'delivered' ? null : outcome.error ?? `HTTP ${outcome.statusCode}`
    if (verdict === 'retry') {
      const jitter = 0.8 + Math.random() * 0.4
      const waitSeconds = Math.max(schedule! * jitter, outcome.retryAfterSeconds ?? 0) * config.retryScale
      const nextAttemptAt = new Date(now.getTime() + waitSeconds * 1000)
      yield* exec(tx.update(webhookDeliveries).set({ attempts, lastError, lockedUntil: null, nextAttemptAt })
        .where(eq(webhookDeliveries.id, delivery.id)))
    }
    else {
      yield* exec(tx.update(webhookDeliveries).set({ attempts, lastError, lockedUntil: null, status: verdict, deliveredAt: verdict === 'delivered' ? now : null })
        .where(eq(webhookDeliveries.id, delivery.id)))
    }
  })
  return verdict
}

/** One round of the worker: claim what is due and send it, a few at a time. */
export async function runDeliveryRound(db: Db, config: WebhookConfig, batch = 10): Promise<number> {
  const due = await claimDueDeliveries(db, batch, new Date(), leaseFor(config))
  await Promise.all(due.map(delivery => attemptDelivery(db, delivery, config).catch(async (error) => {
    console.error(`[webhooks] delivery ${delivery.id} could not be attempted: ${(error as Error).message}`)
    await read(db, function* (db) {
      const { webhookDeliveries } = tables(db)
      yield* exec(db.update(webhookDeliveries).set({ lockedUntil: null }).where(eq(webhookDeliveries.id, delivery.id)))
    })
  })))
  return due.length
}

export interface DeliveryFilter {
  surveyIds?: number[]
  status?: DeliveryStatus
  /** The event type: `survey.session.submitted`, `webhook.test` … */
  event?: string
  limit?: number
}

export async function listDeliveries(db: Db, filter: DeliveryFilter = {}) {
  const { rows: found, attempts } = await read(db, function* (db) {
    const { surveyEvents, surveys, webhookAttempts, webhookDeliveries } = tables(db)
    const conditions = [
      filter.surveyIds !== undefined ? inArray(webhookDeliveries.surveyId, filter.surveyIds) : undefined,
      filter.status ? eq(webhookDeliveries.status, filter.status) : undefined,
      filter.event ? eq(surveyEvents.type, filter.event) : undefined,
    ].filter(Boolean)
    const found = yield* rows(db.select({ delivery: webhookDeliveries, type: surveyEvents.type, slug: surveys.slug })
      .from(webhookDeliveries)
      .innerJoin(surveyEvents, eq(surveyEvents.id, webhookDeliveries.eventId))
      .innerJoin(surveys, eq(surveys.id, webhookDeliveries.surveyId))
      .where(conditions.length ? and(...conditions) : undefined)
      .orderBy(desc(webhookDeliveries.createdAt)).limit(filter.limit ?? 100))
    const attempts = found.length
      ? yield* rows(db.select().from(webhookAttempts)
        .where(inArray(webhookAttempts.deliveryId, found.map(row => row.delivery.id)))
        .orderBy(asc(webhookAttempts.id)))
      : []
    return { rows: found, attempts }
  })
  return found.map(({ delivery, type, slug }) => ({
    id: delivery.id,
    survey: slug,
    type,
    url: delivery.url,
    status: delivery.status,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    lastError: delivery.lastError,
    createdAt: delivery.createdAt.toISOString(),
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
    attemptLog: attempts.filter(attempt => attempt.deliveryId === delivery.id).map(attempt => ({
      at: attempt.startedAt.toISOString(),
      statusCode: attempt.statusCode,
      durationMs: attempt.durationMs,
      error: attempt.error,
      response: attempt.responseSnippet,
    })),
  }))
}

/**
 * Sends a delivery again from the start of the retry schedule (same webhook-id, so receivers can
 * de-duplicate); audited in the same transaction. `maySee` hides deliveries of surveys the actor may not
 * see (404, as for one that does not exist).
 */
export function resendDelivery(db: Db, id: string, actor: Actor, maySee: (survey: SurveyRow) => boolean = () => true, now = new Date()) {
  return transaction(db, function* (tx) {
    const { surveys, webhookDeliveries } = tables(tx)
    const found = yield* first(tx.select({ survey: surveys }).from(webhookDeliveries)
      .innerJoin(surveys, eq(surveys.id, webhookDeliveries.surveyId)).where(eq(webhookDeliveries.id, id)))
    if (!found || !maySee(found.survey)) throw notFound(`No webhook delivery ${id}.`)
    const updated = (yield* first(tx.update(webhookDeliveries).set({ status: 'pending', attempts: 0, nextAttemptAt: now, lockedUntil: null, deliveredAt: null })
      .where(eq(webhookDeliveries.id, id)).returning({ id: webhookDeliveries.id })))!
    yield* auditIn(tx, actor, 'delivery.resend', id, undefined, found.survey.slug)
    return updated
  })
}
