import type pg from 'pg'
import type { Db } from '#server/database'
import type { SurveyRow } from '#server/database/schema'
import type { CustomFieldInput } from '#shared/schemas/respondent'
import { outboxRows } from './notifications'
import { generateAuthToken, type CustomField } from './respondents'

/**
 * PostgreSQL's side of a partner's create-user (`createOrUpdateFromPartner`): the whole creation of a new
 * respondent in one statement, one round trip instead of a transaction of six. Each statement costs the
 * server a socket write and a read, and on a busy server those are most of a create-user's time.
 *
 * It does what `insertRespondent` and `recordEvent` do inside a transaction, atomically (one statement
 * commits or fails whole): it remembers the token's `jti`, inserts the respondent (the claim on the
 * username and the auth token: ON CONFLICT DO NOTHING), its user, custom fields, the
 * `survey.respondent.created` event and its deliveries — each only if the respondent row went in. When
 * the username is taken it changes nothing and returns the respondent found. The user's id is drawn
 * from its sequence ahead (`takeUserId`) so that the event can name it.
 */
const CREATE_RESPONDENT = `
WITH found AS (
  SELECT r.user_id, r.username, r.auth_token, r.redirect_url, u.name, u.disabled
  FROM respondents r JOIN users u ON u.id = r.user_id
  WHERE r.survey_id = $1::integer AND r.username = $2::text
),
token_id AS (
  INSERT INTO used_token_ids (survey_id, jti, expires_at)
  SELECT $1::integer, $8::text, $9::timestamptz
  WHERE $8::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM found)
  ON CONFLICT DO NOTHING
  RETURNING jti
),
created AS (
  INSERT INTO respondents (survey_id, user_id, username, password_hash, auth_token, redirect_url, created_at, updated_at)
  SELECT $1::integer, $3::integer, $2::text, $4::text, $5::text, $6::text, $7::timestamptz, $7::timestamptz
  WHERE NOT EXISTS (SELECT 1 FROM found) AND ($8::text IS NULL OR EXISTS (SELECT 1 FROM token_id))
  ON CONFLICT DO NOTHING
  RETURNING user_id
),
created_user AS (
  INSERT INTO users (id, name, created_at, updated_at)
  SELECT user_id, $10::text, $7::timestamptz, $7::timestamptz FROM created
),
created_fields AS (
  INSERT INTO user_custom_fields (user_id, name, value, public)
  SELECT created.user_id, field.name, field.value, field.public
  FROM created, unnest($11::text[], $12::text[], $13::boolean[]) AS field(name, value, public)
  RETURNING name, value, public
),
created_event AS (
  INSERT INTO survey_events (type, survey_id, user_id, payload, created_at)
  SELECT 'survey.respondent.created', $1::integer, user_id, $14::text, $7::timestamptz FROM created
  RETURNING id
),
created_deliveries AS (
  INSERT INTO webhook_deliveries (id, event_id, survey_id, user_id, url, next_attempt_at, created_at)
  SELECT delivery.id, created_event.id, $1::integer, $3::integer, delivery.url, $7::timestamptz, $7::timestamptz
  FROM created_event, unnest($15::text[], $16::text[]) AS delivery(id, url)
)
SELECT
  (SELECT count(*)::integer FROM created) AS created,
  (SELECT count(*)::integer FROM token_id) AS token_id_recorded,
  (SELECT coalesce(json_agg(json_build_object('name', name, 'value', value, 'public', public) ORDER BY name), '[]'::json)
    FROM created_fields) AS created_fields,
  found.*,
  (SELECT coalesce(json_agg(json_build_object('name', c.name, 'value', c.value, 'public', c.public) ORDER BY c.name), '[]'::json)
    FROM user_custom_fields c WHERE c.user_id = found.user_id) AS found_fields
FROM (SELECT 1) AS one LEFT JOIN found ON true`

interface Row {
  created: number
  token_id_recorded: number
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
    if (id !== undefined) return id
    reserved.refill ??= pool.query<{ id: number }>({
      name: 'reserveUserIds',
      text: `SELECT nextval(pg_get_serial_sequence('users', 'id'))::integer AS id FROM generate_series(1, $1::integer)`,
      values: [USER_IDS_AHEAD],
    }).then(({ rows }) => {
      reserved.ids.push(...rows.map(row => row.id).reverse())
    }).finally(() => {
      reserved.refill = undefined
    })
    await reserved.refill
  }
}

export async function createRespondentAtOnce(db: Db, survey: SurveyRow, input: NewPartnerRespondent): Promise<CreateAtOnceOutcome> {
  const pool = clientOf(db)
  const userId = await takeUserId(pool)
  const now = new Date()
  const authToken = generateAuthToken(survey)
  const body = { type: 'survey.respondent.created' as const, surveyId: String(survey.id), userId: String(userId), username: input.username }
  const { event, deliveries } = outboxRows(survey, body, now)
  const { rows: [row] } = await pool.query<Row>({
    name: 'createRespondentAtOnce',
    text: CREATE_RESPONDENT,
    values: [
      survey.id, input.username, userId, input.passwordHash, authToken, input.redirectUrl, now,
      input.jti?.value ?? null, input.jti?.expiresAt ?? null,
      input.name,
      input.customFields.map(field => field.name),
      input.customFields.map(field => field.value),
      input.customFields.map(field => field.public ?? false),
      event.payload,
      deliveries.map(delivery => delivery.id), deliveries.map(delivery => delivery.url),
    ],
  })
  if (!row) throw new Error('The create-respondent statement returned no row.')
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
  return { kind: 'not-created', tokenIdRecorded: row.token_id_recorded > 0 }
}
