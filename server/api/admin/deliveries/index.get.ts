import { useDb } from '#server/database'
import { listSurveys } from '#server/services/surveys'
import { listDeliveries } from '#server/services/webhooks'
import { deliveryListQuerySchema } from '#shared/schemas/admin'
import { adminMaySee, adminSurvey, requireAdmin } from '#server/http/admin'
import { defineRouteSchemas, readValidatedQuery } from '#server/utils/request'

export const schemas = defineRouteSchemas({ query: deliveryListQuerySchema })

/** Webhook deliveries with every attempt (`?survey=&status=&event=&limit=`), of the surveys the caller may see. */
export default defineEventHandler(async (event) => {
  const { principal } = await requireAdmin(event, 'deliveries:read')
  const query = readValidatedQuery(event, schemas.query)
  const db = useDb()
  const surveyIds = query.survey
    ? [(await adminSurvey(event, query.survey)).id]
    : principal.surveys && (await listSurveys(db)).filter(adminMaySee(event)).map(survey => survey.id)
  return await listDeliveries(db, { surveyIds: surveyIds ?? undefined, status: query.status, event: query.event, limit: query.limit })
})
