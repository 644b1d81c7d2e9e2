import { and, asc, count, eq, sql } from 'drizzle-orm'
import type { Db } from '../database'
import { respondents, users, type SurveyRow } from '../database/schema'
import type { AdminRespondent, AdminRespondentCreate, AdminRespondentUpdate } from '../../shared/schemas/admin'
import { conflict, notFound } from '../utils/errors'
import { hashPassword } from '../utils/passwords'
import { customFieldsOf, findRespondent, generateAuthToken, insertRespondent, replaceCustomFields, type RespondentRecord } from './respondents'

function view(db: Db, record: RespondentRecord): AdminRespondent {
  return {
    userId: String(record.user.id),
    username: record.respondent.username,
    name: record.user.name,
    disabled: record.user.disabled,
    hasPassword: Boolean(record.respondent.passwordHash),
    redirectUrl: record.respondent.redirectUrl,
    customFields: customFieldsOf(db, record.user.id),
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
  return { items: rows.map(row => view(db, row)), page: query.page, limit: query.limit, total }
}

function findByUserId(db: Db, survey: SurveyRow, userId: number): RespondentRecord {
  const record = db.select({ respondent: respondents, user: users }).from(respondents)
    .innerJoin(users, eq(users.id, respondents.userId))
    .where(and(eq(respondents.surveyId, survey.id), eq(respondents.userId, userId))).get()
  if (!record) throw notFound('No such respondent in this survey.')
  return record
}

export function getRespondent(db: Db, survey: SurveyRow, userId: number): AdminRespondent {
  return view(db, findByUserId(db, survey, userId))
}

export async function createRespondent(db: Db, survey: SurveyRow, input: AdminRespondentCreate): Promise<AdminRespondent & { authToken: string }> {
  const duplicate = () => conflict('A respondent with this username already exists in the survey.', { username: { msg: 'is already taken in this survey' } })
  if (findRespondent(db, survey.id, input.username)) throw duplicate()
  const passwordHash = input.password ? await hashPassword(input.password) : null
  const record = db.transaction((tx) => {
    if (findRespondent(tx, survey.id, input.username)) throw duplicate()
    return insertRespondent(tx, survey, { username: input.username, passwordHash, name: input.name, customFields: input.customFields, redirectUrl: input.redirectUrl })
  }, { behavior: 'immediate' })
  return { ...view(db, record), authToken: record.respondent.authToken }
}

export async function updateRespondent(db: Db, survey: SurveyRow, userId: number, input: AdminRespondentUpdate): Promise<AdminRespondent> {
  const record = findByUserId(db, survey, userId)
  const passwordHash = input.password ? await hashPassword(input.password) : input.password
  db.transaction((tx) => {
    if (input.name !== undefined || input.disabled !== undefined)
      tx.update(users).set({ ...(input.name !== undefined ? { name: input.name } : {}), ...(input.disabled !== undefined ? { disabled: input.disabled } : {}) }).where(eq(users.id, record.user.id)).run()
    if (passwordHash !== undefined || input.redirectUrl !== undefined)
      tx.update(respondents).set({ ...(passwordHash !== undefined ? { passwordHash } : {}), ...(input.redirectUrl !== undefined ? { redirectUrl: input.redirectUrl } : {}) }).where(eq(respondents.id, record.respondent.id)).run()
    if (input.customFields !== undefined) replaceCustomFields(tx, record.user.id, input.customFields)
  }, { behavior: 'immediate' })
  return getRespondent(db, survey, userId)
}

/** A new auth token: links sent earlier stop working. */
export function rotateAuthToken(db: Db, survey: SurveyRow, userId: number): { userId: string, authToken: string } {
  const record = findByUserId(db, survey, userId)
  const authToken = generateAuthToken(survey)
  db.update(respondents).set({ authToken }).where(eq(respondents.id, record.respondent.id)).run()
  return { userId: String(userId), authToken }
}

/** A CSV cell: quoted when needed, and never read as a formula by a spreadsheet. */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

export const AUTH_LINK_COLUMNS = ['userId', 'username', 'authToken', 'shortLink', 'surveyLink', 'feedbackLink'] as const

/** Every respondent of the survey with their sign-in links (SPEC.md 6.2), for mail merges. */
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
