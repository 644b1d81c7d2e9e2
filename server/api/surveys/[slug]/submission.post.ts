import { useDb } from '../../../database'
import { submitRecall } from '../../../services/recall'
import { submissionRequestSchema } from '../../../../shared/schemas/recall'
import { readValidatedJson, routerParam } from '../../../utils/request'
import { requireRespondent } from '../../../utils/session'

/** Submits the recall: `{ submission: { id, submissionTime }, followUpUrl }`. */
export default defineEventHandler(async (event) => {
  const { record, survey } = await requireRespondent(event, routerParam(event, 'slug'))
  const request = await readValidatedJson(event, submissionRequestSchema)
  return submitRecall(useDb(), survey, record, request)
})
