import { useDb } from '#server/database'
import { submitRecall } from '#server/services/recall'
import { submissionRequestSchema } from '#shared/schemas/recall'
import { defineRouteSchemas, readValidatedJson, routerParam } from '#server/utils/request'
import { requireRespondent } from '#server/http/session'

export const schemas = defineRouteSchemas({ body: submissionRequestSchema })

/** Submits the recall: `{ submission: { id, submissionTime }, followUpUrl }`. */
export default defineEventHandler(async (event) => {
  const { record, survey } = await requireRespondent(event, routerParam(event, 'slug'))
  const request = await readValidatedJson(event, schemas.body)
  return await submitRecall(useDb(), survey, record, request)
})
