import { and, count, desc, eq, gte } from 'drizzle-orm'
import type { Db } from '../database'
import { submissions, type SurveyRow } from '../database/schema'
import { effectiveState } from './surveys'

export interface SubmissionStatus {
  total: number
  today: number
  lastSubmissionTime: string | null
  canSubmit: boolean
  /** Why a new submission would be refused now; null when it would be accepted. */
  reason: string | null
  /** When the minimum interval next allows a submission (only when that is the reason). */
  nextSubmissionAt: string | null
  limits: { maximumDailySubmissions: number, maximumTotalSubmissions: number | null, minimumSubmissionInterval: number }
}

const startOfUtcDay = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()))

/** SPEC.md 7.1: the survey's state and the respondent's daily, total and interval limits, as the server enforces them. */
export function submissionStatus(db: Db, survey: SurveyRow, userId: number, now = new Date()): SubmissionStatus {
  const mine = and(eq(submissions.surveyId, survey.id), eq(submissions.userId, userId))
  const total = db.select({ n: count() }).from(submissions).where(mine).get()!.n
  const today = db.select({ n: count() }).from(submissions).where(and(mine, gte(submissions.submissionTime, startOfUtcDay(now)))).get()!.n
  const last = db.select({ at: submissions.submissionTime }).from(submissions).where(mine).orderBy(desc(submissions.submissionTime)).limit(1).get()?.at ?? null
  const limits = {
    maximumDailySubmissions: survey.maximumDailySubmissions,
    maximumTotalSubmissions: survey.maximumTotalSubmissions,
    minimumSubmissionInterval: survey.minimumSubmissionInterval,
  }
  const state = effectiveState(survey, now)
  let reason: string | null = null
  let nextSubmissionAt: Date | null = null
  if (state !== 'active') reason = state === 'suspended' ? `This survey is suspended${survey.suspensionReason ? `: ${survey.suspensionReason}` : '.'}` : state === 'notStarted' ? 'This survey has not started yet.' : 'This survey has closed.'
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
