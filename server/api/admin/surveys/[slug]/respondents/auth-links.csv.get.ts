import { useDb } from '#server/database'
import { audit } from '#server/services/audit'
import { authLinksCsv } from '#server/services/respondent-admin'
import { adminSurvey, linkOrigin, requireAdmin } from '#server/http/admin'

/** Every respondent's sign-in links as CSV (userId, username, authToken, shortLink, surveyLink, feedbackLink). */
export default defineEventHandler(async (event) => {
  const { actor } = await requireAdmin(event, 'respondents:read')
  const survey = await adminSurvey(event)
  const origin = linkOrigin(event)
  const db = useDb()
  const csv = await authLinksCsv(db, survey, origin)
  await audit(db, actor, 'respondent.export-auth-links', survey.slug, { respondents: csv.trim().split('\r\n').length - 1 }, survey.slug)
  setResponseHeaders(event, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${survey.slug}-auth-links.csv"`,
    'cache-control': 'no-store',
  })
  return csv
})
