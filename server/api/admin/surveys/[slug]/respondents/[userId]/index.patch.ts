import { useDb } from '../../../../../../database'
import { audit } from '../../../../../../services/audit'
import { updateRespondent } from '../../../../../../services/respondent-admin'
import { adminRespondentUpdateSchema } from '../../../../../../../shared/schemas/admin'
import { adminSurvey, requireAdmin, userIdParam } from '../../../../../../utils/admin'
import { readValidatedJson } from '../../../../../../utils/request'

/** Updates a respondent: name, custom fields, redirect URL, password, or `disabled` to disable/enable the account. */
export default defineEventHandler(async (event) => {
  const { actor } = requireAdmin(event, 'respondents:write')
  const survey = adminSurvey(event)
  const userId = userIdParam(event)
  const input = await readValidatedJson(event, adminRespondentUpdateSchema)
  const db = useDb()
  const updated = await updateRespondent(db, survey, userId, input)
  const action = input.disabled === true ? 'respondent.disable' : input.disabled === false ? 'respondent.enable' : 'respondent.update'
  audit(db, actor, action, `${survey.slug}/${userId}`, { fields: Object.keys(input).filter(key => key !== 'password'), passwordChanged: 'password' in input })
  return updated
})
