import { useDb } from '../../../database'
import { findSurveyBySlug } from '../../../services/surveys'
import { listDeliveries } from '../../../services/webhooks'
import { deliveryListQuerySchema } from '../../../../shared/schemas/admin'
import { requireAdmin } from '../../../utils/admin'
import { notFound, validationError } from '../../../utils/errors'

/** Webhook deliveries with every attempt (`?survey=&status=&limit=`). */
export default defineEventHandler((event) => {
  requireAdmin(event, 'deliveries:read')
  const query = deliveryListQuerySchema.safeParse(getQuery(event))
  if (!query.success) throw validationError(query.error, 'The query is not valid.')
  const db = useDb()
  let surveyId: number | undefined
  if (query.data.survey) {
    const survey = findSurveyBySlug(db, query.data.survey)
    if (!survey) throw notFound('Survey not found.')
    surveyId = survey.id
  }
  return listDeliveries(db, { surveyId, status: query.data.status, limit: query.data.limit })
})
