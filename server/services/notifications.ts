import { tables, type Tx } from '#server/database'
import type { SurveyRow } from '#server/database/schema'
import { exec, first, type Steps } from '#server/database/steps'
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
export function* recordEvent(tx: Tx, survey: SurveyRow, body: EventBody, now = new Date()): Steps<number> {
  const { surveyEvents, webhookDeliveries } = tables(tx)
  const event = (yield* first(tx.insert(surveyEvents).values({
    type: body.type,
    surveyId: survey.id,
    userId: Number(body.userId),
    sessionId: 'sessionId' in body ? body.sessionId : null,
    submissionId: 'submissionId' in body ? body.submissionId : null,
    payload: JSON.stringify(body),
    createdAt: now,
  }).returning({ id: surveyEvents.id })))!
  const targets = survey.notifications.filter(target => target.type === body.type)
  if (targets.length) {
    yield* exec(tx.insert(webhookDeliveries).values(targets.map(target => ({
      id: `msg_${randomToken(18)}`,
      eventId: event.id,
      surveyId: survey.id,
      userId: Number(body.userId),
      url: target.url,
      nextAttemptAt: now,
      createdAt: now,
    }))))
  }
  return event.id
}
