import { and, eq, sql } from 'drizzle-orm'
import type { Db, Tx } from '#server/database'
import { prepared } from '#server/database/prepared'
import { writeTransaction } from '#server/database/write-batch'
import { respondents, surveys, userCustomFields, usedTokenIds, users, type RespondentRow, type SurveyRow, type UserRow } from '#server/database/schema'
import type { CreateUserClaims, CreateUserResponse, CustomFieldInput } from '#shared/schemas/respondent'
import { forbidden } from '#server/utils/errors'
import { hashPassword } from '#server/utils/passwords'
import { randomString } from '#server/utils/tokens'
import { recordEvent } from './notifications'
import { AUTH_TOKEN_DEFAULT_CHARSET } from './surveys'

export interface RespondentRecord { respondent: RespondentRow, user: UserRow }

const respondentWithUser = (db: Db | Tx) => db.select({ respondent: respondents, user: users }).from(respondents)
  .innerJoin(users, eq(users.id, respondents.userId))

export function findRespondent(db: Db | Tx, surveyId: number, username: string): RespondentRecord | undefined {
  return prepared(db, 'respondentByUsername', () => respondentWithUser(db)
    .where(and(eq(respondents.surveyId, sql.placeholder('surveyId')), eq(respondents.username, sql.placeholder('username')))).prepare())
    .get({ surveyId, username }) ?? undefined
}

export function findRespondentByAuthToken(db: Db, authToken: string): RespondentRecord | undefined {
  return prepared(db, 'respondentByAuthToken', () => respondentWithUser(db).where(eq(respondents.authToken, sql.placeholder('authToken'))).prepare())
    .get({ authToken }) ?? undefined
}

export function findRespondentById(db: Db, respondentId: number): RespondentRecord | undefined {
  return prepared(db, 'respondentById', () => respondentWithUser(db).where(eq(respondents.id, sql.placeholder('id'))).prepare())
    .get({ id: respondentId }) ?? undefined
}

export function customFieldsOf(db: Db | Tx, userId: number) {
  return prepared(db, 'customFields', () => db.select({ name: userCustomFields.name, value: userCustomFields.value, public: userCustomFields.public })
    .from(userCustomFields).where(eq(userCustomFields.userId, sql.placeholder('userId'))).orderBy(userCustomFields.name).prepare())
    .all({ userId })
}

/** A fresh auth token in the survey's length and charset (CSPRNG; the survey settings guarantee ≥128 bits). */
export function generateAuthToken(survey: Pick<SurveyRow, 'authUrlTokenLength' | 'authUrlTokenCharset'>): string {
  return randomString(survey.authUrlTokenLength, survey.authUrlTokenCharset ?? AUTH_TOKEN_DEFAULT_CHARSET)
}

function isUniqueViolation(error: unknown, column?: string): boolean {
  const { code, message } = error as { code?: string, message?: string }
  return code === 'SQLITE_CONSTRAINT_UNIQUE' && (!column || String(message).includes(column))
}

export function replaceCustomFields(tx: Tx, userId: number, fields: CustomFieldInput[]) {
  tx.delete(userCustomFields).where(eq(userCustomFields.userId, userId)).run()
  if (fields.length) {
    tx.insert(userCustomFields).values(fields.map(field => ({
      userId,
      name: field.name,
      value: field.value as string,
      public: field.public ?? false,
    }))).run()
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
 * Inserts a user and their respondent alias inside the caller's transaction. The auth token is drawn
 * again on the (astronomically unlikely) collision with another respondent's.
 */
export function insertRespondent(tx: Tx, survey: SurveyRow, input: NewRespondent): RespondentRecord {
  const now = new Date()
  const user = prepared(tx, 'insertUser', () => tx.insert(users).values({ name: sql.placeholder('name'), createdAt: sql.placeholder('createdAt'), updatedAt: sql.placeholder('updatedAt') }).returning().prepare())
    .get({ name: input.name ?? null, createdAt: now, updatedAt: now })!
  for (let attempt = 0; ; attempt++) {
    try {
      const respondent = prepared(tx, 'insertRespondent', () => tx.insert(respondents).values({
        surveyId: sql.placeholder('surveyId'),
        userId: sql.placeholder('userId'),
        username: sql.placeholder('username'),
        passwordHash: sql.placeholder('passwordHash'),
        authToken: sql.placeholder('authToken'),
        redirectUrl: sql.placeholder('redirectUrl'),
        createdAt: sql.placeholder('createdAt'),
        updatedAt: sql.placeholder('updatedAt'),
      }).returning().prepare()).get({
        surveyId: survey.id,
        userId: user.id,
        username: input.username,
        passwordHash: input.passwordHash ?? null,
        authToken: generateAuthToken(survey),
        redirectUrl: input.redirectUrl ?? null,
        createdAt: now,
        updatedAt: now,
      })!
      if (input.customFields?.length) replaceCustomFields(tx, user.id, input.customFields)
      recordEvent(tx, survey, { type: 'survey.respondent.created', surveyId: String(survey.id), userId: String(user.id), username: respondent.username })
      return { respondent, user }
    }
    catch (error) {
      if (attempt < 3 && isUniqueViolation(error, 'auth_token')) continue
      throw error
    }
  }
}

export interface PartnerCreateOptions {
  /** Remember this single-use token id (same transaction); a replay is refused. */
  jti?: { value: string, expiresAt: Date }
}

function rememberTokenId(tx: Tx, survey: SurveyRow, jti: NonNullable<PartnerCreateOptions['jti']>) {
  const inserted = tx.insert(usedTokenIds).values({ surveyId: survey.id, jti: jti.value, expiresAt: jti.expiresAt })
    .onConflictDoNothing().returning().get()
  if (!inserted) throw forbidden('token already used (jti): this survey accepts each token once', { jti: { msg: 'token already used' } })
}

/**
 * Creates the respondent for a verified partner token, or returns the existing one (idempotent;
 * docs/api.md#post-apisurveysslugcreate-user). Only the claims the token carries are updated; a password
 * never changes an existing one.
 */
export async function createOrUpdateFromPartner(
  db: Db,
  survey: SurveyRow,
  claims: CreateUserClaims,
  options: PartnerCreateOptions = {},
): Promise<CreateUserResponse> {
  const keepName = survey.userPersonalIdentifiers
  const keepCustomFields = survey.userCustomFields
  // Hash only when the username is new: the hash is the costly part and an existing password never changes.
  const passwordHash = claims.password && !findRespondent(db, survey.id, claims.username)
    ? await hashPassword(claims.password)
    : undefined

  const record = await writeTransaction(db, (tx) => {
    if (options.jti) rememberTokenId(tx, survey, options.jti)
    const existing = findRespondent(tx, survey.id, claims.username)
    if (existing) {
      if (existing.user.disabled) throw forbidden('This respondent account is disabled.', { username: { msg: 'this respondent is disabled' } })
      if (keepName && claims.name !== undefined) tx.update(users).set({ name: claims.name }).where(eq(users.id, existing.user.id)).run()
      if (keepCustomFields && claims.customFields !== undefined) replaceCustomFields(tx, existing.user.id, claims.customFields)
      if (claims.redirectUrl !== undefined) {
        tx.update(respondents).set({ redirectUrl: claims.redirectUrl }).where(eq(respondents.id, existing.respondent.id)).run()
      }
      return findRespondent(tx, survey.id, claims.username)!
    }
    return insertRespondent(tx, survey, {
      username: claims.username,
      passwordHash,
      name: keepName ? claims.name : undefined,
      customFields: keepCustomFields ? claims.customFields : undefined,
      redirectUrl: claims.redirectUrl,
    })
  })

  const response: CreateUserResponse = {
    userId: String(record.user.id),
    username: record.respondent.username,
    authToken: record.respondent.authToken,
  }
  if (record.respondent.redirectUrl) response.redirectUrl = record.respondent.redirectUrl
  if (keepName && record.user.name !== null) response.name = record.user.name
  if (keepCustomFields) response.customFields = customFieldsOf(db, record.user.id)
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
  const record = await writeTransaction(db, (tx) => {
    for (;;) {
      const { counter } = tx.update(surveys).set({ generatedUserCounter: sql`${surveys.generatedUserCounter} + 1` })
        .where(eq(surveys.id, survey.id)).returning({ counter: surveys.generatedUserCounter }).get()!
      const username = `${survey.slug}${counter}`
      if (!findRespondent(tx, survey.id, username)) return insertRespondent(tx, survey, { username, passwordHash })
    }
  })
  return { username: record.respondent.username, password, record }
}
