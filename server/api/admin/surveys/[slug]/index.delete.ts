import { useDb } from '../../../../database'
import { audit } from '../../../../services/audit'
import { deleteSurvey } from '../../../../services/surveys'
import { adminSurvey, requireAdmin } from '../../../../utils/admin'

/** Deletes a survey; refused (409) while it has respondents unless `?force=true`. */
export default defineEventHandler((event) => {
  const { actor } = requireAdmin(event, 'surveys:write')
  const survey = adminSurvey(event)
  const force = getQuery(event).force === 'true'
  const db = useDb()
  const removed = deleteSurvey(db, survey, force)
  audit(db, actor, 'survey.delete', survey.slug, { force, respondentsRemoved: removed })
  return { deleted: survey.slug, respondentsRemoved: removed }
})
