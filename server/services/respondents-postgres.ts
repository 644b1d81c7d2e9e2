import type pg from 'pg'
import type { Db } from '#server/database'
import type { SurveyRow } from '#server/database/schema'
import type { CustomFieldInput } from '#shared/schemas/respondent'
import { StatementQueue } from '#server/database/postgres-statement-queue'
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
 * while earlier ones are running share a statement (`creationQueue`).
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

/** One respondent asked for, with everything its rows need. */
interface Creation {
  surveyId: number
  userId: number
  authToken: string
  input: NewPartnerRespondent
  event: ReturnType<typeof outboxRows>
}

const byCodeUnits = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0

async function createRespondents(pool: pg.Pool, creations: Creation[]): Promise<(Row | undefined)[]> {
  // Every statement inserts usernames in one order, so two statements never each wait for the other's.
  const ordered = [...creations].sort((a, b) => a.surveyId - b.surveyId || byCodeUnits(a.input.username, b.input.username))
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
  const rowFor = new Map(rows.map(row => [row.for_user_id, row]))
  return creations.map(creation => rowFor.get(creation.userId))
}

/**
 * Creations that arrive while two statements run share the next one. Never two with one single-use
 * token id of a survey, since the statement's answer for a token id is read by survey and id. One
 * username may come several times: an existing respondent is found by each, and a new one is created
 * by the first, while the others, finding it neither created nor there before, go on through the shared
 * transaction, which finds it.
 */
const creationQueue = new StatementQueue<Creation, Row | undefined>({
  atOnce: 2,
  most: 100,
  exclusiveKey: creation => creation.input.jti ? `${creation.surveyId}:${creation.input.jti.value}` : undefined,
  run: createRespondents,
})

/** The create-respondents statements this process has run on the database, and the creations they carried. */
export const createStatementCounts = (db: Db) => creationQueue.statementsRun(clientOf(db))

export async function createRespondentAtOnce(db: Db, survey: SurveyRow, input: NewPartnerRespondent): Promise<CreateAtOnceOutcome> {
  const pool = clientOf(db)
  const userId = await takeUserId(pool)
  const authToken = generateAuthToken(survey)
  const body = { type: 'survey.respondent.created' as const, surveyId: String(survey.id), userId: String(userId), username: input.username }
  const event = outboxRows(survey, body, new Date())
  // A failed statement may still have committed (the connection lost after it): its id is not reused.
  const row = await creationQueue.add(pool, { surveyId: survey.id, userId, authToken, input, event })
  if (!row) throw new Error('The create-respondents statement returned no row for a respondent.')
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
