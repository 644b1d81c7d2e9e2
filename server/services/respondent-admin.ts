import { and, asc, count, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '#server/database'
import { respondents, userCustomFields, users, type SurveyRow } from '#server/database/schema'
import type { AdminRespondent, AdminRespondentCreate, AdminRespondentUpdate } from '#shared/schemas/admin'
import { conflict, notFound } from '#server/utils/errors'
import { hashPassword } from '#server/utils/passwords'
import { audit, type Actor } from './audit'
import { revokeRespondentSessions } from './auth'
import { customFieldsOf, findRespondent, generateAuthToken, insertRespondent, replaceCustomFields, type RespondentRecord } from './respondents'

type CustomField = ReturnType<typeof customFieldsOf>[number]

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

/** LIKE with the pattern characters escaped: a filter is a substring, never a pattern. */
const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, char => `\\${char}`)}%`

export function listRespondents(db: Db, survey: SurveyRow, query: { page: number, limit: number, username?: string }) {
  const filtered = and(
    eq(respondents.surveyId, survey.id),
    query.username ? sql`${respondents.username} LIKE ${containsPattern(query.username)} ESCAPE '\\'` : undefined,
  )
  const total = db.select({ n: count() }).from(respondents).where(filtered).get()!.n
  const rows = db.select({ respondent: respondents, user: users }).from(respondents)
    .innerJoin(users, eq(users.id, respondents.userId))
    .where(filtered).orderBy(asc(respondents.id))
    .limit(query.limit).offset((query.page - 1) * query.limit).all()
  const fields = customFieldsOfUsers(db, rows.map(row => row.user.id))
  return { items: rows.map(row => view(row, fields.get(row.user.id) ?? [])), page: query.page, limit: query.limit, total }
}

function findByUserId(db: Db, survey: SurveyRow, userId: number): RespondentRecord {
  const record = db.select({ respondent: respondents, user: users }).from(respondents)
    .innerJoin(users, eq(users.id, respondents.userId))
    .where(and(eq(respondents.surveyId, survey.id), eq(respondents.userId, userId))).get()
  if (!record) throw notFound('No such respondent in this survey.')
  return record
}

/** The custom fields of a page of users, in one query. */
function customFieldsOfUsers(db: Db, userIds: number[]): Map<number, CustomField[]> {
  const byUser = new Map<number, CustomField[]>()
  if (!userIds.length) return byUser
  const rows = db.select().from(userCustomFields).where(inArray(userCustomFields.userId, userIds)).orderBy(userCustomFields.name).all()
  for (const row of rows) {
    const fields = byUser.get(row.userId) ?? []
    fields.push({ name: row.name, value: row.value, public: row.public })
    byUser.set(row.userId, fields)
  }
  return byUser
}

export function getRespondent(db: Db, survey: SurveyRow, userId: number): AdminRespondent {
  const record = findByUserId(db, survey, userId)
  return view(record, customFieldsOf(db, record.user.id))
}

/** A respondent created by an administrator, audited in the same transaction; the answer carries their auth token. */
export async function createRespondent(
  db: Db,
  survey: SurveyRow,
  input: AdminRespondentCreate,
  actor: Actor,
): Promise<AdminRespondent & { authToken: string }> {
  const duplicate = () => conflict('A respondent with this username already exists in the survey.', { username: { msg: 'is already taken in this survey' } })
  if (findRespondent(db, survey.id, input.username)) throw duplicate()
  const passwordHash = input.password ? await hashPassword(input.password) : null
  const record = db.transaction((tx) => {
    if (findRespondent(tx, survey.id, input.username)) throw duplicate()
    const created = insertRespondent(tx, survey, {
      username: input.username,
      passwordHash,
      name: input.name,
      customFields: input.customFields,
      redirectUrl: input.redirectUrl,
    })
    audit(tx, actor, 'respondent.create', `${survey.slug}/${created.user.id}`, { username: created.respondent.username })
    return created
  }, { behavior: 'immediate' })
  return { ...view(record, customFieldsOf(db, record.user.id)), authToken: record.respondent.authToken }
}

/** Changes what the input names; audited (update, disable or enable) in the same transaction. */
export async function updateRespondent(
  db: Db,
  survey: SurveyRow,
  userId: number,
  input: AdminRespondentUpdate,
  actor: Actor,
): Promise<AdminRespondent> {
  const record = findByUserId(db, survey, userId)
  const passwordHash = input.password ? await hashPassword(input.password) : input.password
  // A new (or removed) password, or a disabled account, ends every sign-in the respondent has.
  const endsSessions = passwordHash !== undefined || input.disabled === true
  db.transaction((tx) => {
    if (input.name !== undefined || input.disabled !== undefined) {
      tx.update(users).set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.disabled !== undefined ? { disabled: input.disabled } : {}),
      }).where(eq(users.id, record.user.id)).run()
    }
    if (passwordHash !== undefined || input.redirectUrl !== undefined) {
      tx.update(respondents).set({
        ...(passwordHash !== undefined ? { passwordHash } : {}),
        ...(input.redirectUrl !== undefined ? { redirectUrl: input.redirectUrl } : {}),
      }).where(eq(respondents.id, record.respondent.id)).run()
    }
    if (input.customFields !== undefined) replaceCustomFields(tx, record.user.id, input.customFields)
    if (endsSessions) revokeRespondentSessions(tx, record.respondent.id)
    const action = input.disabled === true ? 'respondent.disable' : input.disabled === false ? 'respondent.enable' : 'respondent.update'
    audit(tx, actor, action, `${survey.slug}/${userId}`, { fields: Object.keys(input).filter(key => key !== 'password'), passwordChanged: 'password' in input })
  }, { behavior: 'immediate' })
  return getRespondent(db, survey, userId)
}

/** A new auth token: links sent earlier stop working, and every sign-in the respondent has ends. Audited in the same transaction. */
export function rotateAuthToken(db: Db, survey: SurveyRow, userId: number, actor: Actor): { userId: string, authToken: string } {
  const record = findByUserId(db, survey, userId)
  const authToken = generateAuthToken(survey)
  db.transaction((tx) => {
    tx.update(respondents).set({ authToken }).where(eq(respondents.id, record.respondent.id)).run()
    revokeRespondentSessions(tx, record.respondent.id)
    audit(tx, actor, 'respondent.rotate-auth-token', `${survey.slug}/${userId}`)
  }, { behavior: 'immediate' })
  return { userId: String(userId), authToken }
}

/** A CSV cell: quoted when needed, and never read as a formula by a spreadsheet. */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

export const AUTH_LINK_COLUMNS = ['userId', 'username', 'authToken', 'shortLink', 'surveyLink', 'feedbackLink'] as const

/** Every respondent of the survey with their sign-in links (docs/api.md#respondents), for mail merges. */
export function authLinksCsv(db: Db, survey: SurveyRow, origin: string): string {
  const base = (survey.authUrlDomainOverride ?? origin).replace(/\/+$/, '')
  const slug = encodeURIComponent(survey.slug)
  const rows = db.select({ userId: respondents.userId, username: respondents.username, authToken: respondents.authToken })
    .from(respondents).where(eq(respondents.surveyId, survey.id)).orderBy(asc(respondents.id)).all()
  const lines = [AUTH_LINK_COLUMNS.join(',')]
  for (const row of rows) {
    const token = encodeURIComponent(row.authToken)
    lines.push([String(row.userId), row.username, row.authToken, `${base}/a/${token}`, `${base}/${slug}?auth=${token}`, `${base}/${slug}/feedback?auth=${token}`].map(csvCell).join(','))
  }
  return `${lines.join('\r\n')}\r\n`
}
