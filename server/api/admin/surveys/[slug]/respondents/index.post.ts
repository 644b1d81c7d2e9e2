import { useDb } from '../../../../../database'
import { audit } from '../../../../../services/audit'
import { createRespondent } from '../../../../../services/respondent-admin'
import { adminRespondentCreateSchema } from '../../../../../../shared/schemas/admin'
import { adminSurvey, requireAdmin } from '../../../../../utils/admin'
import { readValidatedJson } from '../../../../../utils/request'

export default defineEventHandler(async (event) => {
  const { actor } = requireAdmin(event, 'respondents:write')
  const survey = adminSurvey(event)
  const input = await readValidatedJson(event, adminRespondentCreateSchema)
  const db = useDb()
  const created = await createRespondent(db, survey, input)
  audit(db, actor, 'respondent.create', `${survey.slug}/${created.userId}`, { username: created.username })
  setResponseStatus(event, 201)
  return created
})
