import { tables, transaction, type Db, type Tx } from '#server/database'
import type { SurveyRow } from '#server/database/schema'
import { exec, first, type Steps } from '#server/database/steps'
import type { NotificationType } from '#shared/schemas/survey'
import { TEST_EVENT_TYPE } from '#shared/schemas/admin'
import { badRequest } from '#server/utils/errors'
import { randomToken } from '#server/utils/tokens'
import { auditIn, type Actor } from './audit'

export interface SessionEventBody { type: NotificationType, surveyId: string, userId: string, sessionId: string }
export interface SubmittedEventBody extends SessionEventBody { submissionId: string, data: unknown }
export interface RespondentCreatedBody { type: 'survey.respondent.created', surveyId: string, userId: string, username: string }
export type EventBody = SessionEventBody | SubmittedEventBody | RespondentCreatedBody

/**
 * An event's outbox rows: the event and one pending delivery (id and URL) per webhook the survey
 * registered for its type.
 */
export function outboxRows(survey: SurveyRow, body: EventBody, now: Date) {
  return {
    event: {
      type: body.type,
      surveyId: survey.id,
      userId: Number(body.userId),
      sessionId: 'sessionId' in body ? body.sessionId : null,
      submissionId: 'submissionId' in body ? body.submissionId : null,
      payload: JSON.stringify(body),
      createdAt: now,
    },
    deliveries: survey.notifications.filter(target => target.type === body.type)
      .map(target => ({ id: `msg_${randomToken(18)}`, url: target.url })),
  }
}

/**
 * The outbox: records the event inside the caller's transaction (so it exists exactly when the change
 * it reports does), with its pending deliveries (`outboxRows`).
 */
export function* recordEvent(tx: Tx, survey: SurveyRow, body: EventBody, now = new Date()): Steps<number> {
  const { surveyEvents, webhookDeliveries } = tables(tx)
  const { event, deliveries } = outboxRows(survey, body, now)
  const { id: eventId } = (yield* first(tx.insert(surveyEvents).values(event).returning({ id: surveyEvents.id })))!
  if (deliveries.length) {
    yield* exec(tx.insert(webhookDeliveries).values(deliveries.map(delivery => ({
      ...delivery,
      eventId,
      surveyId: survey.id,
      userId: event.userId,
      nextAttemptAt: now,
      createdAt: now,
    }))))
  }
  return eventId
}

/**
 * A test event (`webhook.test`) through the outbox to every notification target of the survey (each URL
 * once, whatever types it is registered for): signed and retried like any other delivery. Audited in
 * the same transaction. 400 when the survey has no target.
 */
export function queueTestEvent(db: Db, survey: SurveyRow, actor: Actor, now = new Date()) {
  const urls = [...new Set(survey.notifications.map(target => target.url))]
  if (!urls.length) throw badRequest('The survey has no notification target to test.', { notifications: { msg: 'add a notification target first' } })
  return transaction(db, function* (tx) {
    const { surveyEvents, webhookDeliveries } = tables(tx)
    const body = { type: TEST_EVENT_TYPE, surveyId: String(survey.id), survey: survey.slug, sentAt: now.toISOString() }
    const event = (yield* first(tx.insert(surveyEvents).values({
      type: TEST_EVENT_TYPE, surveyId: survey.id, userId: 0, payload: JSON.stringify(body), createdAt: now,
    }).returning({ id: surveyEvents.id })))!
    const deliveries = urls.map(url => ({ id: `msg_${randomToken(18)}`, url }))
    yield* exec(tx.insert(webhookDeliveries).values(deliveries.map(({ id, url }) => ({
      id, eventId: event.id, surveyId: survey.id, userId: 0, url, nextAttemptAt: now, createdAt: now,
    }))))
    yield* auditIn(tx, actor, 'survey.test-notifications', survey.slug, { deliveries: deliveries.map(delivery => delivery.id) }, survey.slug)
    return { deliveries }
  })
}
