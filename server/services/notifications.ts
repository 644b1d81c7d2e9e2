import { sql } from 'drizzle-orm'
import type { Tx } from '#server/database'
import { prepared } from '#server/database/prepared'
import { surveyEvents, webhookDeliveries, type SurveyRow } from '#server/database/schema'
import type { NotificationType } from '#shared/schemas/survey'
import { randomToken } from '#server/utils/tokens'

export interface SessionEventBody { type: NotificationType, surveyId: string, userId: string, sessionId: string }
export interface SubmittedEventBody extends SessionEventBody { submissionId: string, data: unknown }
export interface RespondentCreatedBody { type: 'survey.respondent.created', surveyId: string, userId: string, username: string }
export type EventBody = SessionEventBody | SubmittedEventBody | RespondentCreatedBody

/**
 * The outbox: records the event inside the caller's transaction (so it exists exactly when the change
 * it reports does), with one pending delivery per webhook the survey registered for this type.
 */
export function recordEvent(tx: Tx, survey: SurveyRow, body: EventBody, now = new Date()) {
  const event = prepared(tx, 'insertSurveyEvent', () => tx.insert(surveyEvents).values({
    type: sql.placeholder('type'),
    surveyId: sql.placeholder('surveyId'),
    userId: sql.placeholder('userId'),
    sessionId: sql.placeholder('sessionId'),
    submissionId: sql.placeholder('submissionId'),
    payload: sql.placeholder('payload'),
    createdAt: sql.placeholder('createdAt'),
  }).returning({ id: surveyEvents.id }).prepare()).get({
    type: body.type,
    surveyId: survey.id,
    userId: Number(body.userId),
    sessionId: 'sessionId' in body ? body.sessionId : null,
    submissionId: 'submissionId' in body ? body.submissionId : null,
    payload: JSON.stringify(body),
    createdAt: now,
  })!
  const targets = survey.notifications.filter(target => target.type === body.type)
  if (targets.length) {
    tx.insert(webhookDeliveries).values(targets.map(target => ({
      id: `msg_${randomToken(18)}`,
      eventId: event.id,
      surveyId: survey.id,
      userId: Number(body.userId),
      url: target.url,
      nextAttemptAt: now,
      createdAt: now,
    }))).run()
  }
  return event.id
}
