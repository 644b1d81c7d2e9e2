import { and, asc, count, eq, inArray } from 'drizzle-orm'
import { read, tables, transaction, type Db } from '#server/database'
import { containsText } from '#server/database/contains'
import type { SurveyRow } from '#server/database/schema'
import { exec, first, rows, type Steps } from '#server/database/steps'
import type { AdminRespondent, AdminRespondentCreate, AdminRespondentUpdate } from '#shared/schemas/admin'
import { conflict, notFound } from '#server/utils/errors'
import { hashPassword } from '#server/utils/passwords'
import { auditIn, type Actor } from './audit'
import { revokeRespondentSessions } from './auth'
import { customFieldsIn, findRespondent, generateAuthToken, insertRespondent, replaceCustomFields, type CustomField, type RespondentRecord } from './respondents'

function view(record: RespondentRecord, customFields: CustomField[]): AdminRespondent {
  return {
    userId: String(record.user.id),
    username: record.respondent.username,
    name: record.user.name,
    disabled: record.user.disabled,
    hasPassword: Boolean(record.respondent.passwordHash),
    redirectUrl: record.respondent.redirectUrl,
    customFields,
    createdAt: record.respondent.createdAt.toISOString(),
  }
}

export function listRespondents(db: Db, survey: SurveyRow, query: { page: number, limit: number, username?: string }) {
  return read(db, function* (db) {
    const { respondents, users } = tables(db)
    const filtered = and(
      eq(respondents.surveyId, survey.id),
      query.username ? containsText(db, respondents.username, query.username) : undefined,
    )
    const total = Number((yield* first(db.select({ n: count() }).from(respondents).where(filtered)))!.n)
    const page = yield* rows(db.select({ respondent: respondents, user: users }).from(respondents)
      .innerJoin(users, eq(users.id, respondents.userId))
      .where(filtered).orderBy(asc(respondents.id))
      .limit(query.limit).offset((query.page - 1) * query.limit))
    const fields = yield* customFieldsOfUsers(db, page.map(row => row.user.id))
    return { items: page.map(row => view(row, fields.get(row.user.id) ?? [])), page: query.page, limit: query.limit, total }
  })
}

function* recordByUserId(db: Db, survey: SurveyRow, userId: number): Steps<RespondentRecord> {
  const { respondents, users } = tables(db)
  const record = yield* first(db.select({ respondent: respondents, user: users }).from(respondents)
    .innerJoin(users, eq(users.id, respondents.userId))
    .where(and(eq(respondents.surveyId, survey.id), eq(respondents.userId, userId))))
  if (!record) throw notFound('No such respondent in this survey.')
  return record
}

const findByUserId = (db: Db, survey: SurveyRow, userId: number) => read(db, db => recordByUserId(db, survey, userId))

/** The custom fields of a page of users, in one query. */
function* customFieldsOfUsers(db: Db, userIds: number[]): Steps<Map<number, CustomField[]>> {
  const byUser = new Map<number, CustomField[]>()
  if (!userIds.length) return byUser
  const { userCustomFields } = tables(db)
  const found = yield* rows(db.select().from(userCustomFields)
    .where(inArray(userCustomFields.userId, userIds)).orderBy(userCustomFields.name))
  for (const row of found) {
    const fields = byUser.get(row.userId) ?? []
    fields.push({ name: row.name, value: row.value, public: row.public })
    byUser.set(row.userId, fields)
  }
  return byUser
}

export function getRespondent(db: Db, survey: SurveyRow, userId: number): Promise<AdminRespondent> {
  return read(db, function* (db) {
    const record = yield* recordByUserId(db, survey, userId)
    return view(record, yield* customFieldsIn(db, record.user.id))
  })
}

/** A respondent created by an administrator, audited in the same transaction; the answer carries their auth token. */
export async function createRespondent(
  db: Db,
  survey: SurveyRow,
  input: AdminRespondentCreate,
  actor: Actor,
): Promise<AdminRespondent & { authToken: string }> {
  const duplicate = () => conflict('A respondent with this username already exists in the survey.', { username: { msg: 'is already taken in this survey' } })
  if (await findRespondent(db, survey.id, input.username)) throw duplicate()
  const passwordHash = input.password ? await hashPassword(input.password) : null
  const { record, customFields } = await transaction(db, function* (tx) {
    const created = yield* insertRespondent(tx, survey, {
      username: input.username,
      passwordHash,
      name: input.name,
      customFields: input.customFields,
      redirectUrl: input.redirectUrl,
    })
    if (!created) throw duplicate()
    yield* auditIn(tx, actor, 'respondent.create', `${survey.slug}/${created.user.id}`, { username: created.respondent.username }, survey.slug)
    return { record: created, customFields: yield* customFieldsIn(tx, created.user.id) }
  })
  return { ...view(record, customFields), authToken: record.respondent.authToken }
}

/** Changes what the input names; audited (update, disable or enable) in the same transaction. */
export async function updateRespondent(
  db: Db,
  survey: SurveyRow,
  userId: number,
  input: AdminRespondentUpdate,
  actor: Actor,
): Promise<AdminRespondent> {
  const record = await findByUserId(db, survey, userId)
  const passwordHash = input.password ? await hashPassword(input.password) : input.password
  // A new (or removed) password, or a disabled account, ends every sign-in the respondent has.
  const endsSessions = passwordHash !== undefined || input.disabled === true
  await transaction(db, function* (tx) {
    const { respondents, users } = tables(tx)
    if (input.name !== undefined || input.disabled !== undefined) {
      yield* exec(tx.update(users).set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.disabled !== undefined ? { disabled: input.disabled } : {}),
      }).where(eq(users.id, record.user.id)))
    }
    if (passwordHash !== undefined || input.redirectUrl !== undefined) {
      yield* exec(tx.update(respondents).set({
        ...(passwordHash !== undefined ? { passwordHash } : {}),
        ...(input.redirectUrl !== undefined ? { redirectUrl: input.redirectUrl } : {}),
      }).where(eq(respondents.id, record.respondent.id)))
    }
    if (input.customFields !== undefined) yield* replaceCustomFields(tx, record.user.id, input.customFields)
    if (endsSessions) yield* revokeRespondentSessions(tx, record.respondent.id)
    const action = input.disabled === true ? 'respondent.disable' : input.disabled === false ? 'respondent.enable' : 'respondent.update'
    yield* auditIn(tx, actor, action, `${survey.slug}/${userId}`, { fields: Object.keys(input).filter(key => key !== 'password'), passwordChanged: 'password' in input }, survey.slug)
  })
  return getRespondent(db, survey, userId)
}

/** A new auth token: links sent earlier stop working, and every sign-in the respondent has ends. Audited in the same transaction. */
export async function rotateAuthToken(
  db: Db,
  survey: SurveyRow,
  userId: number,
  actor: Actor,
): Promise<{ userId: string, authToken: string }> {
  const record = await findByUserId(db, survey, userId)
  const authToken = generateAuthToken(survey)
  await transaction(db, function* (tx) {
    yield* exec(tx.update(tables(tx).respondents).set({ authToken }).where(eq(tables(tx).respondents.id, record.respondent.id)))
    yield* revokeRespondentSessions(tx, record.respondent.id)
    yield* auditIn(tx, actor, 'respondent.rotate-auth-token', `${survey.slug}/${userId}`, undefined, survey.slug)
  })
  return { userId: String(userId), authToken }
}

/** A CSV cell: quoted when needed, and never read as a formula by a spreadsheet. */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

export const AUTH_LINK_COLUMNS = ['userId', 'username', 'authToken', 'shortLink', 'surveyLink', 'feedbackLink'] as const

/** Every respondent of the survey with their sign-in links (docs/api.md#respondents), for mail merges. */
export async function authLinksCsv(db: Db, survey: SurveyRow, origin: string): Promise<string> {
  const base = (survey.authUrlDomainOverride ?? origin).replace(/\/+$/, '')
  const slug = encodeURIComponent(survey.slug)
  const found = await read(db, function* (db) {
    const { respondents } = tables(db)
    return yield* rows(db.select({ userId: respondents.userId, username: respondents.username, authToken: respondents.authToken })
      .from(respondents).where(eq(respondents.surveyId, survey.id)).orderBy(asc(respondents.id)))
  })
  const lines = [AUTH_LINK_COLUMNS.join(',')]
  for (const row of found) {
    const token = encodeURIComponent(row.authToken)
    lines.push([String(row.userId), row.username, row.authToken, `${base}/a/${token}`, `${base}/${slug}?auth=${token}`, `${base}/${slug}/feedback?auth=${token}`].map(csvCell).join(','))
  }
  return `${lines.join('\r\n')}\r\n`
}
