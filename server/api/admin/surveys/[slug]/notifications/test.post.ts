import { useDb } from '#server/database'
import { queueTestEvent } from '#server/services/notifications'
import { adminSurvey, requireAdmin } from '#server/http/admin'

/** A signed `webhook.test` event to every notification target of the survey, through the outbox. */
export default defineEventHandler(async (event) => {
  const { actor } = await requireAdmin(event, 'deliveries:write')
  const survey = await adminSurvey(event)
  const queued = await queueTestEvent(useDb(), survey, actor)
  setResponseStatus(event, 202)
  return queued
})
