import { useDb } from '#server/database'
import { createAccessToken } from '#server/services/access-tokens'
import { adminTokenCreateSchema } from '#shared/schemas/admin-console'
import { requireOwner } from '#server/http/admin'
import { defineRouteSchemas, readValidatedJson } from '#server/utils/request'

export const schemas = defineRouteSchemas({ body: adminTokenCreateSchema })

/** A new personal access token with scopes (and perhaps surveys); `token` is shown this once. Owners only. */
export default defineEventHandler(async (event) => {
  const { actor } = await requireOwner(event)
  const input = await readValidatedJson(event, schemas.body)
  const created = await createAccessToken(useDb(), input, actor)
  setResponseStatus(event, 201)
  setResponseHeader(event, 'cache-control', 'no-store')
  return created
})
