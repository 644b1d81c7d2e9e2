import { useDb } from '#server/database'
import { activeSession, submissionStatus } from '#server/services/recall'
import { customFieldsOf } from '#server/services/respondents'
import { routerParam } from '#server/utils/request'
import { requireRespondent } from '#server/http/session'

/** The signed-in respondent: who they are (public fields only), their submissions and the limits. */
export default defineEventHandler(async (event) => {
  const { record, survey } = await requireRespondent(event, routerParam(event, 'slug'))
  const db = useDb()
  return {
    userId: String(record.user.id),
    username: record.respondent.username,
    name: survey.userPersonalIdentifiers ? record.user.name : null,
    customFields: survey.userCustomFields
      ? (await customFieldsOf(db, record.user.id)).filter(field => field.public).map(({ name, value }) => ({ name, value }))
      : [],
    submissions: await submissionStatus(db, survey, record.user.id),
    recallInProgress: Boolean(await activeSession(db, survey, record.user.id)),
  }
})
