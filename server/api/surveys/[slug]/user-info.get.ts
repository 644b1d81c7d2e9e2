import { useDb } from '../../../database'
import { activeSession, submissionStatus } from '../../../services/recall'
import { customFieldsOf } from '../../../services/respondents'
import { routerParam } from '../../../utils/request'
import { requireRespondent } from '../../../utils/session'

/** The signed-in respondent: who they are (public fields only), their submissions and the limits. */
export default defineEventHandler(async (event) => {
  const { record, survey } = await requireRespondent(event, routerParam(event, 'slug'))
  const db = useDb()
  return {
    userId: String(record.user.id),
    username: record.respondent.username,
    name: survey.userPersonalIdentifiers ? record.user.name : null,
    customFields: survey.userCustomFields
      ? customFieldsOf(db, record.user.id).filter(field => field.public).map(({ name, value }) => ({ name, value }))
      : [],
    submissions: submissionStatus(db, survey, record.user.id),
    recallInProgress: Boolean(activeSession(db, survey, record.user.id)),
  }
})
