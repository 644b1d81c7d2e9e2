import { useDb } from '../../../../../../database'
import { audit } from '../../../../../../services/audit'
import { rotateAuthToken } from '../../../../../../services/respondent-admin'
import { adminSurvey, requireAdmin, userIdParam } from '../../../../../../utils/admin'

/** Rotates the respondent's auth token: links sent before stop working. */
export default defineEventHandler((event) => {
  const { actor } = requireAdmin(event, 'respondents:write')
  const survey = adminSurvey(event)
  const db = useDb()
  const rotated = rotateAuthToken(db, survey, userIdParam(event))
  audit(db, actor, 'respondent.rotate-auth-token', `${survey.slug}/${rotated.userId}`)
  return rotated
})
