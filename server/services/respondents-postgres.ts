import type pg from 'pg'
import type { Db } from '#server/database'
import type { SurveyRow } from '#server/database/schema'
import type { CustomFieldInput } from '#shared/schemas/respondent'
import { outboxRows } from './notifications'
import { generateAuthToken, type CustomField } from './respondents'

/**
 * PostgreSQL's side of a partner's create-user (`createOrUpdateFromPartner`): the whole creation of new
 * respondents in one statement — one round trip and one commit instead of a transaction of six each.
 * Each statement costs the server a socket write and a read, and PostgreSQL a plan's start-up and a
 * commit (a WAL flush): on a busy server those are most of a create-user's time.
 *
 * For each respondent asked for, it does what `insertRespondent` and `recordEvent` do inside a
 * transaction, atomically (one statement commits or fails whole): it remembers the token's `jti`,
 * inserts the respondent (the claim on the username and the auth token: ON CONFLICT DO NOTHING), its
 * user, custom fields, the `survey.respondent.created` event and its deliveries — each only if the
 * respondent row went in. When the username is taken it changes nothing and returns the respondent
 * found. Users' ids are drawn from their sequence ahead (`takeUserId`) so that events can name them,
 * and the id also ties each inserted row to the respondent it belongs to. The creations that arrive
 * while earlier ones are running share a statement (`enqueue`).
 */
const CREATE_RESPONDENTS = `
WITH input AS (
  SELECT * FROM unnest($1::integer[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::text[], $7::text[],
    $8::timestamptz[], $9::text[], $10::text[])
    AS input(survey_id, username, user_id, password_hash, auth_token, redirect_url, jti, jti_expires_at, name, payload)
),
found AS (
  SELECT input.user_id AS for_user_id, r.user_id, r.username, r.auth_token, r.redirect_url, u.name, u.disabled
  FROM input
  JOIN respondents r ON r.survey_id = input.survey_id AND r.username = input.username
  JOIN users u ON u.id = r.user_id
),
token_id AS (
  INSERT INTO used_token_ids (survey_id, jti, expires_at)
  SELECT survey_id, jti, jti_expires_at FROM input
  WHERE jti IS NOT NULL AND NOT EXISTS (SELECT 1 FROM found WHERE found.for_user_id = input.user_id)
  ON CONFLICT DO NOTHING
  RETURNING survey_id, jti
),
created AS (
  INSERT INTO respondents (survey_id, user_id, username, password_hash, auth_token, redirect_url, created_at, updated_at)
  SELECT survey_id, user_id, username, password_hash, auth_token, redirect_url, $11::timestamptz, $11::timestamptz
  FROM input
  WHERE NOT EXISTS (SELECT 1 FROM found WHERE found.for_user_id = input.user_id)
    AND (jti IS NULL OR EXISTS (SELECT 1 FROM token_id WHERE token_id.survey_id = input.survey_id AND token_id.jti = input.jti))
  ON CONFLICT DO NOTHING
  RETURNING user_id
),
created_user AS (
  INSERT INTO users (id, name, created_at, updated_at)
  SELECT input.user_id, input.name, $11::timestamptz, $11::timestamptz FROM created JOIN input USING (user_id)
),
created_fields AS (
  INSERT INTO user_custom_fields (user_id, name, value, public)
  SELECT field.user_id, field.name, field.value, field.public
  FROM unnest($12::integer[], $13::text[], $14::text[], $15::boolean[]) AS field(user_id, name, value, public)
  WHERE field.user_id IN (SELECT user_id FROM created)
  RETURNING user_id, name, value, public
),
created_event AS (
  INSERT INTO survey_events (type, survey_id, user_id, payload, created_at)
  SELECT 'survey.respondent.created', input.survey_id, input.user_id, input.payload, $11::timestamptz
  FROM created JOIN input USING (user_id)
  RETURNING id, survey_id, user_id
),
created_deliveries AS (
  INSERT INTO webhook_deliveries (id, event_id, survey_id, user_id, url, next_attempt_at, created_at)
  SELECT delivery.id, created_event.id, created_event.survey_id, created_event.user_id, delivery.url, $11::timestamptz, $11::timestamptz
  FROM unnest($16::integer[], $17::text[], $18::text[]) AS delivery(user_id, id, url)
  JOIN created_event USING (user_id)
)
SELECT
  input.user_id AS for_user_id,
  EXISTS (SELECT 1 FROM created WHERE created.user_id = input.user_id) AS created,
  EXISTS (SELECT 1 FROM token_id WHERE token_id.survey_id = input.survey_id AND token_id.jti = input.jti) AS token_id_recorded,
  (SELECT coalesce(json_agg(json_build_object('name', f.name, 'value', f.value, 'public', f.public) ORDER BY f.name), '[]'::json)
    FROM created_fields f WHERE f.user_id = input.user_id) AS created_fields,
  found.user_id, found.username, found.auth_token, found.redirect_url, found.name, found.disabled,
  (SELECT coalesce(json_agg(json_build_object('name', c.name, 'value', c.value, 'public', c.public) ORDER BY c.name), '[]'::json)
    FROM user_custom_fields c WHERE c.user_id = found.user_id) AS found_fields
FROM input LEFT JOIN found ON found.for_user_id = input.user_id`

interface Row {
  for_user_id: number
  created: boolean
  token_id_recorded: boolean
  created_fields: CustomField[]
  user_id: number | null
  username: string | null
  auth_token: string | null
  redirect_url: string | null
  name: string | null
  disabled: boolean | null
  found_fields: CustomField[]
}

/** What a partner's create-user answers with: the respondent as created or found. */
export interface PartnerRespondent {
  userId: number
  username: string
  authToken: string
  redirectUrl: string | null
  name: string | null
  disabled: boolean
  customFields: CustomField[]
}

export type CreateAtOnceOutcome
  = | { kind: 'created', respondent: PartnerRespondent }
    | { kind: 'found', respondent: PartnerRespondent }
    /** The token's jti was recorded before: the token was used. */
    | { kind: 'token-used' }
    /** Neither created nor found: another server took the username at this moment, or the auth token was another's. */
    | { kind: 'not-created', tokenIdRecorded: boolean }

export interface NewPartnerRespondent {
  username: string
  passwordHash: string | null
  name: string | null
  customFields: CustomFieldInput[]
  redirectUrl: string | null
  jti?: { value: string, expiresAt: Date }
}

const clientOf = (db: Db) => (db as unknown as { $client: pg.Pool }).$client

const USER_IDS_AHEAD = 32
interface ReservedIds { ids: number[], refill?: Promise<void> }
const reservedUserIds = new WeakMap<pg.Pool, ReservedIds>()

/** A user id drawn from the users' sequence, 32 at a time ahead: ids a stopped process had drawn are left unused. */
async function takeUserId(pool: pg.Pool): Promise<number> {
  let reserved = reservedUserIds.get(pool)
  if (!reserved) reservedUserIds.set(pool, reserved = { ids: [] })
  for (;;) {
    const id = reserved.ids.pop()
    if (reserved.ids.length < USER_IDS_AHEAD / 2) void refillUserIds(pool, reserved).catch(() => undefined)
    if (id !== undefined) return id
    await refillUserIds(pool, reserved)
  }
}

function refillUserIds(pool: pg.Pool, reserved: ReservedIds): Promise<void> {
  return reserved.refill ??= pool.query<{ id: number }>({
    name: 'reserveUserIds',
    text: `SELECT nextval(pg_get_serial_sequence('users', 'id'))::integer AS id FROM generate_series(1, $1::integer)`,
    values: [USER_IDS_AHEAD],
  }).then(({ rows }) => {
    reserved.ids.push(...rows.map(row => row.id).reverse())
  }).finally(() => {
    reserved.refill = undefined
  })
}

/** One respondent asked for, with everything its rows need, waiting for a statement. */
interface Creation {
  surveyId: number
  userId: number
  authToken: string
  input: NewPartnerRespondent
  event: ReturnType<typeof outboxRows>
  settle: (outcome: { row: Row } | { error: unknown }) => void
}

/** How many create-user statements one process keeps running at once; the creations asked for meanwhile wait and share the next. */
export const CREATE_STATEMENTS_AT_ONCE = 2
/** The most respondents one statement creates. */
export const CREATIONS_PER_STATEMENT = 100

interface Queue { waiting: Creation[], running: number }
const queues = new WeakMap<pg.Pool, Queue>()

interface StatementCounts { statements: number, creations: number }
const statementCounts = new WeakMap<pg.Pool, StatementCounts>()

/** The create-respondents statements this process has run on the database, and the creations they carried. */
export function createStatementCounts(db: Db): StatementCounts {
  return { ...statementCounts.get(clientOf(db)) ?? { statements: 0, creations: 0 } }
}

const usernameKey = (creation: Creation) => `${creation.surveyId}:u:${creation.input.username}`
const tokenIdKey = (creation: Creation) => `${creation.surveyId}:j:${creation.input.jti?.value}`

/**
 * Runs the creation at once when fewer than CREATE_STATEMENTS_AT_ONCE statements are running; else it
 * waits and goes with every other waiting creation in the next statement. Under light load each
 * creation is a statement of its own; under heavy load one commit carries many.
 */
function enqueue(pool: pg.Pool, creation: Creation) {
  let queue = queues.get(pool)
  if (!queue) queues.set(pool, queue = { waiting: [], running: 0 })
  queue.waiting.push(creation)
  startStatements(pool, queue)
}

function startStatements(pool: pg.Pool, queue: Queue) {
  while (queue.running < CREATE_STATEMENTS_AT_ONCE && queue.waiting.length) {
    const batch = takeBatch(queue)
    queue.running++
    void runStatement(pool, batch).finally(() => {
      queue.running--
      startStatements(pool, queue)
    })
  }
}

/**
 * The waiting creations that go into one statement, in arrival order: never two for one username, or
 * two with one single-use token id, of a survey (the statement's answer for each is read by user id,
 * and a username or token id twice in one statement would be found taken by itself). Those wait for the
 * next statement.
 */
function takeBatch(queue: Queue): Creation[] {
  const batch: Creation[] = []
  const keys = new Set<string>()
  const left: Creation[] = []
  for (const creation of queue.waiting) {
    const creationKeys = creation.input.jti ? [usernameKey(creation), tokenIdKey(creation)] : [usernameKey(creation)]
    if (batch.length >= CREATIONS_PER_STATEMENT || creationKeys.some(key => keys.has(key))) {
      left.push(creation)
      continue
    }
    creationKeys.forEach(key => keys.add(key))
    batch.push(creation)
  }
  queue.waiting = left
  return batch
}

async function runStatement(pool: pg.Pool, batch: Creation[]): Promise<void> {
  let rows: Row[]
  try {
    rows = await createRespondents(pool, batch)
  }
  catch (error) {
    // One creation's fault (or two statements waiting on each other's usernames, which PostgreSQL breaks
    // by failing one) must not fail the others: each goes again in a statement of its own.
    if (batch.length > 1) {
      await Promise.all(batch.map(creation => runStatement(pool, [creation])))
      return
    }
    batch[0]!.settle({ error })
    return
  }
  const rowFor = new Map(rows.map(row => [row.for_user_id, row]))
  for (const creation of batch) {
    const row = rowFor.get(creation.userId)
    creation.settle(row ? { row } : { error: new Error('The create-respondents statement returned no row for a respondent.') })
  }
}

const byCodeUnits = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0

async function createRespondents(pool: pg.Pool, batch: Creation[]): Promise<Row[]> {
  // Every statement inserts usernames in one order, so two statements never each wait for the other's.
  const ordered = [...batch].sort((a, b) => a.surveyId - b.surveyId || byCodeUnits(a.input.username, b.input.username))
  const fields = ordered.flatMap(creation => creation.input.customFields.map(field => ({ userId: creation.userId, field })))
  const deliveries = ordered.flatMap(creation => creation.event.deliveries.map(delivery => ({ userId: creation.userId, delivery })))
  const { rows } = await pool.query<Row>({
    name: 'createRespondents',
    text: CREATE_RESPONDENTS,
    values: [
      ordered.map(creation => creation.surveyId),
      ordered.map(creation => creation.input.username),
      ordered.map(creation => creation.userId),
      ordered.map(creation => creation.input.passwordHash),
      ordered.map(creation => creation.authToken),
      ordered.map(creation => creation.input.redirectUrl),
      ordered.map(creation => creation.input.jti?.value ?? null),
      ordered.map(creation => creation.input.jti?.expiresAt ?? null),
      ordered.map(creation => creation.input.name),
      ordered.map(creation => creation.event.event.payload),
      new Date(),
      fields.map(({ userId }) => userId),
      fields.map(({ field }) => field.name),
      fields.map(({ field }) => field.value),
      fields.map(({ field }) => field.public ?? false),
      deliveries.map(({ userId }) => userId),
      deliveries.map(({ delivery }) => delivery.id),
      deliveries.map(({ delivery }) => delivery.url),
    ],
  })
  const counts = statementCounts.get(pool) ?? { statements: 0, creations: 0 }
  statementCounts.set(pool, { statements: counts.statements + 1, creations: counts.creations + batch.length })
  return rows
}

export async function createRespondentAtOnce(db: Db, survey: SurveyRow, input: NewPartnerRespondent): Promise<CreateAtOnceOutcome> {
  const pool = clientOf(db)
  const userId = await takeUserId(pool)
  const authToken = generateAuthToken(survey)
  const body = { type: 'survey.respondent.created' as const, surveyId: String(survey.id), userId: String(userId), username: input.username }
  const event = outboxRows(survey, body, new Date())
  const outcome = await new Promise<{ row: Row } | { error: unknown }>((settle) => {
    enqueue(pool, { surveyId: survey.id, userId, authToken, input, event, settle })
  })
  // A failed statement may still have committed (the connection lost after it): the id is not reused.
  if ('error' in outcome) throw outcome.error
  const { row } = outcome
  if (row.created) {
    return {
      kind: 'created',
      respondent: {
        userId,
        username: input.username,
        authToken,
        redirectUrl: input.redirectUrl,
        name: input.name,
        disabled: false,
        customFields: row.created_fields,
      },
    }
  }
  // The id went unused: the next creation takes it.
  reservedUserIds.get(pool)?.ids.push(userId)
  if (row.user_id !== null) {
    return {
      kind: 'found',
      respondent: {
        userId: row.user_id,
        username: row.username!,
        authToken: row.auth_token!,
        redirectUrl: row.redirect_url,
        name: row.name,
        disabled: row.disabled!,
        customFields: row.found_fields,
      },
    }
  }
  if (input.jti && !row.token_id_recorded) return { kind: 'token-used' }
  return { kind: 'not-created', tokenIdRecorded: row.token_id_recorded }
}
