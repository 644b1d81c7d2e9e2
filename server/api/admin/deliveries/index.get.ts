import { useDb } from '#server/database'
import { requireSurvey } from '#server/services/surveys'
import { listDeliveries } from '#server/services/webhooks'
import { deliveryListQuerySchema } from '#shared/schemas/admin'
import { requireAdmin } from '#server/http/admin'
import { defineRouteSchemas, readValidatedQuery } from '#server/utils/request'

export const schemas = defineRouteSchemas({ query: deliveryListQuerySchema })

/** Webhook deliveries with every attempt (`?survey=&status=&limit=`). */
export default defineEventHandler(async (event) => {
  await requireAdmin(event, 'deliveries:read')
  const query = readValidatedQuery(event, schemas.query)
  const db = useDb()
  const surveyId = query.survey ? (await requireSurvey(db, query.survey)).id : undefined
  return await listDeliveries(db, { surveyId, status: query.status, limit: query.limit })
})
