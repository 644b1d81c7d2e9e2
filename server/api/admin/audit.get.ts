import { useDb } from '#server/database'
import { mayAccessSurvey } from '#server/services/access-tokens'
import { auditPage } from '#server/services/audit'
import { auditQuerySchema } from '#shared/schemas/admin-console'
import { requireAdmin } from '#server/http/admin'
import { notFound } from '#server/utils/errors'
import { defineRouteSchemas, readValidatedQuery } from '#server/utils/request'

export const schemas = defineRouteSchemas({ query: auditQuerySchema })

/**
 * The audit log, newest first (`?survey=&actor=&page=&limit=`). A caller limited to some surveys sees
 * only their entries, and a survey outside its list answers 404.
 */
export default defineEventHandler(async (event) => {
  const { principal } = await requireAdmin(event, 'audit:read')
  const query = readValidatedQuery(event, schemas.query)
  if (query.survey !== undefined && !mayAccessSurvey(principal, { slug: query.survey })) throw notFound('Survey not found.')
  return await auditPage(useDb(), query, principal.surveys)
})
