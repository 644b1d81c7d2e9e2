import { useDb } from '../../../../../database'
import { listRespondents } from '../../../../../services/respondent-admin'
import { respondentListQuerySchema } from '../../../../../../shared/schemas/admin'
import { adminSurvey, requireAdmin } from '../../../../../utils/admin'
import { validationError } from '../../../../../utils/errors'

/** Respondents of the survey, a page at a time (`?page=&limit=`), optionally filtered by `?username=` (substring). */
export default defineEventHandler((event) => {
  requireAdmin(event, 'respondents:read')
  const survey = adminSurvey(event)
  const query = respondentListQuerySchema.safeParse(getQuery(event))
  if (!query.success) throw validationError(query.error, 'The query is not valid.')
  return listRespondents(useDb(), survey, query.data)
})
