import { useDb } from '../../../../../../database'
import { getRespondent } from '../../../../../../services/respondent-admin'
import { adminSurvey, requireAdmin, userIdParam } from '../../../../../../utils/admin'

export default defineEventHandler((event) => {
  requireAdmin(event, 'respondents:read')
  return getRespondent(useDb(), adminSurvey(event), userIdParam(event))
})
