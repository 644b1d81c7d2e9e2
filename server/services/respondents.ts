import { and, eq, sql } from 'drizzle-orm'
import { engineOf, read, tables, write, type Db, type Tx } from '#server/database'
import type { RespondentRow, SurveyRow, UserRow } from '#server/database/schema'
import { exec, first, preparedFirst, rows, type Steps } from '#server/database/steps'
import type { CreateUserClaims, CreateUserResponse, CustomFieldInput } from '#shared/schemas/respondent'
import { forbidden } from '#server/utils/errors'
import { hashPassword } from '#server/utils/passwords'
import { randomString } from '#server/utils/tokens'
import { recordEvent } from './notifications'
import { createRespondentAtOnce, type PartnerRespondent } from './respondents-postgres'
import { AUTH_TOKEN_DEFAULT_CHARSET } from './surveys'

export interface RespondentRecord { respondent: RespondentRow, user: UserRow }

function respondentWithUser(db: Db | Tx) {
  const { respondents, users } = tables(db)
  return db.select({ respondent: respondents, user: users }).from(respondents).innerJoin(users, eq(users.id, respondents.userId))
}

export function* respondentIn(db: Db | Tx, surveyId: number, username: string): Steps<RespondentRecord | undefined> {
  return yield* preparedFirst('respondentBySurveyAndUsername', (db: Db | Tx) => respondentWithUser(db).where(and(
    eq(tables(db).respondents.surveyId, sql.placeholder('surveyId')),
    eq(tables(db).respondents.username, sql.placeholder('username')),
  )), { surveyId, username })
}

export const findRespondent = (db: Db, surveyId: number, username: string) => read(db, db => respondentIn(db, surveyId, username))

export function findRespondentByAuthToken(db: Db, authToken: string): Promise<RespondentRecord | undefined> {
  return read(db, () => preparedFirst('respondentByAuthToken', (db: Db) =>
    respondentWithUser(db).where(eq(tables(db).respondents.authToken, sql.placeholder('authToken'))), { authToken }))
}

export function findRespondentById(db: Db, respondentId: number): Promise<RespondentRecord | undefined> {
  return read(db, () => preparedFirst('respondentById', (db: Db) =>
    respondentWithUser(db).where(eq(tables(db).respondents.id, sql.placeholder('respondentId'))), { respondentId }))
}

export interface CustomField { name: string, value: string, public: boolean }

export function* customFieldsIn(db: Db | Tx, userId: number): Steps<CustomField[]> {
  const { userCustomFields } = tables(db)
  return yield* rows(db.select({ name: userCustomFields.name, value: userCustomFields.value, public: userCustomFields.public })
    .from(userCustomFields).where(eq(userCustomFields.userId, userId)).orderBy(userCustomFields.name))
}

export const customFieldsOf = (db: Db, userId: number) => read(db, db => customFieldsIn(db, userId))

/** A fresh auth token in the survey's length and charset (CSPRNG; the survey settings guarantee ≥128 bits). */
export function generateAuthToken(survey: Pick<SurveyRow, 'authUrlTokenLength' | 'authUrlTokenCharset'>): string {
  return randomString(survey.authUrlTokenLength, survey.authUrlTokenCharset ?? AUTH_TOKEN_DEFAULT_CHARSET)
}

export function* replaceCustomFields(tx: Tx, userId: number, fields: CustomFieldInput[]): Steps<void> {
  const { userCustomFields } = tables(tx)
  yield* exec(tx.delete(userCustomFields).where(eq(userCustomFields.userId, userId)))
  if (fields.length) {
    yield* exec(tx.insert(userCustomFields).values(fields.map(field => ({
      userId,
      name: field.name,
      value: field.value as string,
      public: field.public ?? false,
    }))))
  }
}

export interface NewRespondent {
  username: string
  passwordHash?: string | null
  name?: string | null
  customFields?: CustomFieldInput[]
  redirectUrl?: string | null
}

/**
 * Inserts a user and their respondent alias inside the caller's transaction; `undefined` when the survey
 * already has a respondent with this username (then nothing is left behind). The username is claimed
 * with ON CONFLICT DO NOTHING, so of two servers creating the same username at once one inserts and the
 * other, after waiting for its commit, finds it taken: never a constraint error. The auth token is
 * drawn again on the (astronomically unlikely) collision with another respondent's.
 */
export function* insertRespondent(tx: Tx, survey: SurveyRow, input: NewRespondent): Steps<RespondentRecord | undefined> {
  const { users } = tables(tx)
  const now = new Date()
  const user = (yield* preparedFirst('insertUser', (tx: Tx) => tx.insert(tables(tx).users).values({
    name: sql.placeholder('name'), createdAt: sql.placeholder('now'), updatedAt: sql.placeholder('now'),
  }).returning(), { name: input.name ?? null, now }))!
  for (let attempt = 0; ; attempt++) {
    const respondent = yield* preparedFirst('insertRespondent', (tx: Tx) => tx.insert(tables(tx).respondents).values({
      surveyId: sql.placeholder('surveyId'),
      userId: sql.placeholder('userId'),
      username: sql.placeholder('username'),
      passwordHash: sql.placeholder('passwordHash'),
      authToken: sql.placeholder('authToken'),
      redirectUrl: sql.placeholder('redirectUrl'),
      createdAt: sql.placeholder('now'),
      updatedAt: sql.placeholder('now'),
    }).onConflictDoNothing().returning(), {
      surveyId: survey.id,
      userId: user.id,
      username: input.username,
      passwordHash: input.passwordHash ?? null,
      authToken: generateAuthToken(survey),
      redirectUrl: input.redirectUrl ?? null,
      now,
    })
    if (!respondent) {
      const taken = yield* respondentIn(tx, survey.id, input.username)
      if (taken || attempt >= 3) {
        yield* exec(tx.delete(users).where(eq(users.id, user.id)))
        if (taken) return undefined
        throw new Error('Could not draw a free auth token.')
      }
      continue
    }
    if (input.customFields?.length) yield* replaceCustomFields(tx, user.id, input.customFields)
    yield* recordEvent(tx, survey, { type: 'survey.respondent.created', surveyId: String(survey.id), userId: String(user.id), username: respondent.username })
    return { respondent, user }
  }
}

export interface PartnerCreateOptions {
  /** Remember this single-use token id (same transaction); a replay is refused. */
  jti?: { value: string, expiresAt: Date }
}

/** The latest time both engines store (PostgreSQL's timestamps are written with four-digit years): a later expiry changes nothing. */
const END_OF_9999 = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

const tokenUsed = () => forbidden('token already used (jti): this survey accepts each token once', { jti: { msg: 'token already used' } })

function* rememberTokenId(tx: Tx, survey: SurveyRow, jti: NonNullable<PartnerCreateOptions['jti']>): Steps<void> {
  const { usedTokenIds } = tables(tx)
  const expiresAt = new Date(Math.min(jti.expiresAt.getTime(), END_OF_9999))
  const inserted = yield* first(tx.insert(usedTokenIds).values({ surveyId: survey.id, jti: jti.value, expiresAt })
    .onConflictDoNothing().returning())
  if (!inserted) throw tokenUsed()
}

/**
 * Creates the respondent for a verified partner token, or returns the existing one (idempotent;
 * docs/api.md#post-apisurveysslugcreate-user), also when another server creates it at the same moment.
 * Only the claims the token carries are updated; a password never changes an existing one. On
 * PostgreSQL a new respondent, and an existing one the claims do not change, take one statement
 * (respondents-postgres.ts); the rest, and SQLite, the transaction below.
 */
export async function createOrUpdateFromPartner(
  db: Db,
  survey: SurveyRow,
  claims: CreateUserClaims,
  options: PartnerCreateOptions = {},
): Promise<CreateUserResponse> {
  const keepName = survey.userPersonalIdentifiers
  const keepCustomFields = survey.userCustomFields
  const changesName = keepName && claims.name !== undefined
  const changesCustomFields = keepCustomFields && claims.customFields !== undefined
  const changesAnything = changesName || changesCustomFields || claims.redirectUrl !== undefined
  // Hash only when the username is new: the hash is the costly part and an existing password never changes.
  const passwordHash = claims.password && !(await findRespondent(db, survey.id, claims.username))
    ? await hashPassword(claims.password)
    : undefined
  const answer = (respondent: PartnerRespondent) => partnerResponse(respondent, keepName, keepCustomFields)

  let tokenIdRecorded = false
  if (engineOf(db).dialect === 'postgres') {
    const outcome = await createRespondentAtOnce(db, survey, {
      username: claims.username,
      passwordHash: passwordHash ?? null,
      name: keepName ? claims.name ?? null : null,
      customFields: keepCustomFields ? claims.customFields ?? [] : [],
      redirectUrl: claims.redirectUrl ?? null,
      jti: options.jti,
    })
    if (outcome.kind === 'created') return answer(outcome.respondent)
    if (outcome.kind === 'token-used') throw tokenUsed()
    if (outcome.kind === 'found' && !options.jti && !changesAnything) {
      if (outcome.respondent.disabled) throw respondentDisabled()
      return answer(outcome.respondent)
    }
    tokenIdRecorded = outcome.kind === 'not-created' && outcome.tokenIdRecorded
  }

  return answer(await write(db, function* (tx) {
    const { respondents, users } = tables(tx)
    if (options.jti && !tokenIdRecorded) yield* rememberTokenId(tx, survey, options.jti)
    let record = yield* respondentIn(tx, survey.id, claims.username)
    if (!record) {
      record = yield* insertRespondent(tx, survey, {
        username: claims.username,
        passwordHash,
        name: keepName ? claims.name : undefined,
        customFields: keepCustomFields ? claims.customFields : undefined,
        redirectUrl: claims.redirectUrl,
      })
      if (record) return yield* partnerRespondentIn(tx, record, keepCustomFields)
      // Created by another server since the read above: it is an existing respondent now.
      record = (yield* respondentIn(tx, survey.id, claims.username))!
    }
    if (record.user.disabled) throw respondentDisabled()
    if (!changesAnything) return yield* partnerRespondentIn(tx, record, keepCustomFields)
    if (changesName) yield* exec(tx.update(users).set({ name: claims.name }).where(eq(users.id, record.user.id)))
    if (changesCustomFields) yield* replaceCustomFields(tx, record.user.id, claims.customFields!)
    if (claims.redirectUrl !== undefined) {
      yield* exec(tx.update(respondents).set({ redirectUrl: claims.redirectUrl }).where(eq(respondents.id, record.respondent.id)))
    }
    return yield* partnerRespondentIn(tx, (yield* respondentIn(tx, survey.id, claims.username))!, keepCustomFields)
  }))
}

const respondentDisabled = () => forbidden('This respondent account is disabled.', { username: { msg: 'this respondent is disabled' } })

function* partnerRespondentIn(tx: Tx, { respondent, user }: RespondentRecord, withCustomFields: boolean): Steps<PartnerRespondent> {
  return {
    userId: user.id,
    username: respondent.username,
    authToken: respondent.authToken,
    redirectUrl: respondent.redirectUrl,
    name: user.name,
    disabled: user.disabled,
    customFields: withCustomFields ? yield* customFieldsIn(tx, user.id) : [],
  }
}

function partnerResponse(respondent: PartnerRespondent, keepName: boolean, keepCustomFields: boolean): CreateUserResponse {
  const response: CreateUserResponse = {
    userId: String(respondent.userId),
    username: respondent.username,
    authToken: respondent.authToken,
  }
  if (respondent.redirectUrl) response.redirectUrl = respondent.redirectUrl
  if (keepName && respondent.name !== null) response.name = respondent.name
  if (keepCustomFields) response.customFields = respondent.customFields
  return response
}

/** Generated passwords avoid characters that look alike (I/l/1, O/o/0) so they can be copied by hand. */
export const GENERATED_PASSWORD_CHARSET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789'
export const GENERATED_PASSWORD_LENGTH = 12

/**
 * A new respondent with the survey's stored slug plus the next number of its counter as username and a
 * random password, shown once and stored only hashed (docs/api.md#post-apisurveyssluggenerate-user). The
 * counter is bumped inside the insert's transaction, so concurrent calls never share a number; a number
 * taken by a username someone chose is skipped.
 */
export async function generateRespondent(
  db: Db,
  survey: SurveyRow,
  clientAddress?: string,
  signal?: AbortSignal,
): Promise<{ username: string, password: string, record: RespondentRecord }> {
  const password = randomString(GENERATED_PASSWORD_LENGTH, GENERATED_PASSWORD_CHARSET)
  const passwordHash = await hashPassword(password, clientAddress, signal)
  const record = await write(db, function* (tx) {
    const { surveys } = tables(tx)
    for (;;) {
      const { counter } = (yield* first(tx.update(surveys).set({ generatedUserCounter: sql`${surveys.generatedUserCounter} + 1` })
        .where(eq(surveys.id, survey.id)).returning({ counter: surveys.generatedUserCounter })))!
      const username = `${survey.slug}${counter}`
      if (yield* respondentIn(tx, survey.id, username)) continue
      const created = yield* insertRespondent(tx, survey, { username, passwordHash })
      if (created) return created
    }
  })
  return { username: record.respondent.username, password, record }
}
