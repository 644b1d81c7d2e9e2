import { randomUUID } from 'node:crypto'
import { and, asc, count, desc, eq, gte, inArray, sql } from 'drizzle-orm'
import { read, tables, write, type Db, type Tx } from '#server/database'
import type { recallSessions, submissions, SurveyRow } from '#server/database/schema'
import { engineSql, exec, first, rows, type Steps } from '#server/database/steps'
import {
  recallDraftSchema,
  type FeedbackSubmission,
  type RecallDraft,
  type RecallSessionView,
  type SubmissionRequest,
  type SubmissionResult,
  type SubmittedFood,
} from '#shared/schemas/recall'
import type { NotificationType } from '#shared/schemas/survey'
import type { SubmissionStatus } from '#shared/types/respondent-api'
import { conflict, forbidden, notFound } from '#server/utils/errors'
import { followUpUrl } from './follow-up'
import { recordEvent } from './notifications'
import { customFieldsIn, type RespondentRecord } from './respondents'
import { surveyAvailability } from './surveys'

const startOfUtcDay = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()))

/**
 * The survey's state and the respondent's daily, total and interval limits, as the server enforces them
 * (docs/api.md#survey-app-endpoints).
 */
export function* submissionStatusIn(db: Db | Tx, survey: SurveyRow, userId: number, now = new Date()): Steps<SubmissionStatus> {
  const { submissions } = tables(db)
  const mine = and(eq(submissions.surveyId, survey.id), eq(submissions.userId, userId))
  const total = Number((yield* first(db.select({ n: count() }).from(submissions).where(mine)))!.n)
  const sinceToday = and(mine, gte(submissions.submissionTime, startOfUtcDay(now)))
  const today = Number((yield* first(db.select({ n: count() }).from(submissions).where(sinceToday)))!.n)
  const last = (yield* first(db.select({ at: submissions.submissionTime }).from(submissions).where(mine)
    .orderBy(desc(submissions.submissionTime)).limit(1)))?.at ?? null
  const limits = {
    maximumDailySubmissions: survey.maximumDailySubmissions,
    maximumTotalSubmissions: survey.maximumTotalSubmissions,
    minimumSubmissionInterval: survey.minimumSubmissionInterval,
  }
  const availability = surveyAvailability(survey, now)
  let reason: string | null = null
  let nextSubmissionAt: Date | null = null
  if (!availability.acceptingRespondents) reason = availability.message
  else if (limits.maximumTotalSubmissions !== null && total >= limits.maximumTotalSubmissions) reason = `You have completed all ${limits.maximumTotalSubmissions} recall(s) of this survey.`
  else if (today >= limits.maximumDailySubmissions) reason = `You have reached today's limit of ${limits.maximumDailySubmissions} recall(s). Please come back tomorrow.`
  else if (last && limits.minimumSubmissionInterval > 0 && now.getTime() - last.getTime() < limits.minimumSubmissionInterval * 1000) {
    nextSubmissionAt = new Date(last.getTime() + limits.minimumSubmissionInterval * 1000)
    reason = `Please wait until ${nextSubmissionAt.toISOString()} before starting another recall.`
  }
  return {
    total,
    today,
    lastSubmissionTime: last?.toISOString() ?? null,
    canSubmit: reason === null,
    reason,
    nextSubmissionAt: nextSubmissionAt?.toISOString() ?? null,
    limits,
  }
}

export const submissionStatus = (db: Db, survey: SurveyRow, userId: number, now = new Date()) =>
  read(db, db => submissionStatusIn(db, survey, userId, now))

/** The respondent's active recall session, if any. */
export function* activeSessionIn(db: Db | Tx, survey: SurveyRow, userId: number) {
  const { recallSessions } = tables(db)
  return yield* first(db.select().from(recallSessions)
    .where(and(eq(recallSessions.surveyId, survey.id), eq(recallSessions.userId, userId), eq(recallSessions.state, 'active'))))
}

export const activeSession = (db: Db, survey: SurveyRow, userId: number) => read(db, db => activeSessionIn(db, survey, userId))

/**
 * The respondent's recall changes one at a time: on PostgreSQL their user row is locked for the rest of
 * the transaction, so two servers cannot both pass the limits or both open a session. (SQLite writes
 * one transaction at a time anyway.)
 */
function* lockRespondent(tx: Tx, userId: number): Steps<void> {
  yield* engineSql({ postgres: sql`SELECT 1 FROM users WHERE id = ${userId} FOR UPDATE` })
}

function sessionView(session: typeof recallSessions.$inferSelect): RecallSessionView {
  const parsed = recallDraftSchema.safeParse(session.data)
  return {
    sessionId: session.id,
    startTime: session.startTime.toISOString(),
    updatedAt: session.updatedAt.toISOString(),
    data: parsed.success ? parsed.data : { meals: [] },
  }
}

const sessionEvent = (type: NotificationType, survey: SurveyRow, userId: number, sessionId: string) =>
  ({ type, surveyId: String(survey.id), userId: String(userId), sessionId })

/** A new recall session, with its `survey.session.started` event, inside the caller's transaction. */
function* openSession(tx: Tx, survey: SurveyRow, userId: number, now: Date) {
  const { recallSessions } = tables(tx)
  const session = (yield* first(tx.insert(recallSessions).values({
    id: randomUUID(),
    surveyId: survey.id,
    userId,
    startTime: now,
    data: { meals: [] },
    createdAt: now,
    updatedAt: now,
  }).returning()))!
  yield* recordEvent(tx, survey, sessionEvent('survey.session.started', survey, userId, session.id), now)
  return session
}

/** Starts the respondent's recall, or resumes the one in progress (on any device). */
export function startOrResumeSession(db: Db, survey: SurveyRow, record: RespondentRecord, now = new Date()): Promise<RecallSessionView> {
  return write(db, function* (tx) {
    yield* lockRespondent(tx, record.user.id)
    const existing = yield* activeSessionIn(tx, survey, record.user.id)
    if (existing) return sessionView(existing)
    const status = yield* submissionStatusIn(tx, survey, record.user.id, now)
    if (!status.canSubmit) throw forbidden(status.reason!)
    return sessionView(yield* openSession(tx, survey, record.user.id, now))
  })
}

export function saveSession(
  db: Db,
  survey: SurveyRow,
  record: RespondentRecord,
  data: RecallDraft,
  now = new Date(),
): Promise<RecallSessionView> {
  return write(db, function* (tx) {
    const { recallSessions } = tables(tx)
    const session = yield* first(tx.update(recallSessions).set({ data, updatedAt: now })
      .where(and(eq(recallSessions.surveyId, survey.id), eq(recallSessions.userId, record.user.id), eq(recallSessions.state, 'active')))
      .returning())
    if (!session) throw notFound('There is no recall in progress to save. Start the recall again.')
    return sessionView(session)
  })
}

export function cancelSession(db: Db, survey: SurveyRow, record: RespondentRecord, now = new Date()) {
  return write(db, function* (tx) {
    const { recallSessions } = tables(tx)
    yield* lockRespondent(tx, record.user.id)
    const session = yield* activeSessionIn(tx, survey, record.user.id)
    if (!session) throw notFound('There is no recall in progress to cancel.')
    yield* exec(tx.update(recallSessions).set({ state: 'cancelled', endTime: now, updatedAt: now }).where(eq(recallSessions.id, session.id)))
    yield* recordEvent(tx, survey, sessionEvent('survey.session.cancelled', survey, record.user.id, session.id), now)
    return { sessionId: session.id, cancelled: true }
  })
}

function* existingResult(db: Db | Tx, userId: number, sessionId: string): Steps<SubmissionResult | undefined> {
  const { submissions } = tables(db)
  const row = yield* first(db.select().from(submissions).where(and(eq(submissions.sessionId, sessionId), eq(submissions.userId, userId))))
  return row && { submission: { id: row.id, submissionTime: row.submissionTime.toISOString() }, followUpUrl: row.followUpUrl }
}

/** A food as it is stored and sent: what the respondent left out is null, and a food is not a drink unless marked so. */
const foodValues = (food: SubmittedFood) => ({
  description: food.description,
  amount: food.amount ?? null,
  unit: food.unit ?? null,
  drink: food.drink ?? false,
})

/**
 * What a partner's receiver gets as `data` for `survey.session.submitted`
 * (docs/partner-integration.md#events-and-body): no tokens, only public fields.
 */
function submissionEventData(submission: typeof submissions.$inferSelect, meals: SubmissionRequest['meals'], record: RespondentRecord, customFields: { name: string, value: string, public: boolean }[]) {
  return {
    id: submission.id,
    startTime: submission.startTime.toISOString(),
    endTime: submission.endTime.toISOString(),
    submissionTime: submission.submissionTime.toISOString(),
    meals: meals.map(meal => ({
      name: meal.name,
      time: meal.time ?? null,
      skipped: meal.skipped ?? false,
      foods: meal.foods.map(foodValues),
    })),
    user: {
      id: String(record.user.id),
      ...(record.user.name ? { name: record.user.name } : {}),
      aliases: [{ username: record.respondent.username }],
      customFields: customFields.filter(field => field.public).map(({ name, value }) => ({ name, value })),
    },
  }
}

/**
 * Stores a finished recall: the submission with its meals and foods, the session closed, and the
 * `survey.session.submitted` event, in one transaction. The limits are checked inside it, so parallel
 * submits cannot exceed them; submitting the same session again returns the first result.
 */
export async function submitRecall(
  db: Db,
  survey: SurveyRow,
  record: RespondentRecord,
  request: SubmissionRequest,
  now = new Date(),
): Promise<SubmissionResult> {
  const userId = record.user.id
  if (request.sessionId) {
    const sessionId = request.sessionId
    const earlier = await read(db, db => existingResult(db, userId, sessionId))
    if (earlier) return earlier
  }
  return write(db, function* (tx) {
    const { recallSessions, submissionFoods, submissionMeals, submissions } = tables(tx)
    yield* lockRespondent(tx, userId)
    const customFields = yield* customFieldsIn(tx, userId)
    let session = request.sessionId
      ? yield* first(tx.select().from(recallSessions).where(and(
        eq(recallSessions.id, request.sessionId),
        eq(recallSessions.userId, userId),
        eq(recallSessions.surveyId, survey.id),
      )))
      : yield* activeSessionIn(tx, survey, userId)
    if (request.sessionId && !session) throw notFound('That recall session was not found.')
    if (session && session.state !== 'active') {
      const earlier = yield* existingResult(tx, userId, session.id)
      if (earlier) return earlier
      throw conflict('That recall was cancelled. Start a new recall.', { sessionId: { msg: 'the session was cancelled' } })
    }
    const status = yield* submissionStatusIn(tx, survey, userId, now)
    if (!status.canSubmit) throw forbidden(status.reason!)
    session ??= yield* openSession(tx, survey, userId, now)
    const submission = (yield* first(tx.insert(submissions).values({
      id: randomUUID(),
      surveyId: survey.id,
      userId,
      sessionId: session.id,
      startTime: session.startTime,
      endTime: now,
      submissionTime: now,
      followUpUrl: followUpUrl(survey, record, customFields),
    }).returning()))!
    for (const [position, meal] of request.meals.entries()) {
      const mealRow = (yield* first(tx.insert(submissionMeals).values({
        submissionId: submission.id,
        position,
        name: meal.name,
        time: meal.time ?? null,
        skipped: meal.skipped ?? false,
      }).returning({ id: submissionMeals.id })))!
      if (meal.foods.length) {
        yield* exec(tx.insert(submissionFoods)
          .values(meal.foods.map((food, index) => ({ mealId: mealRow.id, position: index, ...foodValues(food) }))))
      }
    }
    yield* exec(tx.update(recallSessions).set({ state: 'submitted', endTime: now, updatedAt: now }).where(eq(recallSessions.id, session.id)))
    yield* recordEvent(tx, survey, {
      ...sessionEvent('survey.session.submitted', survey, userId, session.id),
      submissionId: submission.id,
      data: submissionEventData(submission, request.meals, record, customFields),
    }, now)
    return { submission: { id: submission.id, submissionTime: now.toISOString() }, followUpUrl: submission.followUpUrl }
  })
}

/** The respondent's submissions, newest first, with what was recorded in each meal. */
export function respondentSubmissions(db: Db, survey: SurveyRow, userId: number): Promise<FeedbackSubmission[]> {
  return read(db, function* (db) {
    const { submissionFoods, submissionMeals, submissions } = tables(db)
    const found = yield* rows(db.select().from(submissions)
      .where(and(eq(submissions.surveyId, survey.id), eq(submissions.userId, userId)))
      .orderBy(desc(submissions.submissionTime)))
    if (!found.length) return []
    const meals = yield* rows(db.select().from(submissionMeals)
      .where(inArray(submissionMeals.submissionId, found.map(row => row.id)))
      .orderBy(asc(submissionMeals.position)))
    const foods = meals.length
      ? yield* rows(db.select().from(submissionFoods)
        .where(inArray(submissionFoods.mealId, meals.map(meal => meal.id)))
        .orderBy(asc(submissionFoods.position)))
      : []
    return found.map(row => ({
      id: row.id,
      submissionTime: row.submissionTime.toISOString(),
      meals: meals.filter(meal => meal.submissionId === row.id).map(meal => ({
        name: meal.name,
        time: meal.time,
        skipped: meal.skipped,
        foods: foods.filter(food => food.mealId === meal.id)
          .map(({ description, amount, unit, drink }) => ({ description, amount, unit, drink })),
      })),
    }))
  })
}
