import { useDb } from '../../../../../database'
import { authLinksCsv } from '../../../../../services/respondent-admin'
import { adminSurvey, publicOrigin, requireAdmin } from '../../../../../utils/admin'

/** Every respondent's sign-in links as CSV (userId, username, authToken, shortLink, surveyLink, feedbackLink). */
export default defineEventHandler((event) => {
  requireAdmin(event, 'respondents:read')
  const survey = adminSurvey(event)
  setResponseHeaders(event, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${survey.slug}-auth-links.csv"`,
    'cache-control': 'no-store',
  })
  return authLinksCsv(useDb(), survey, publicOrigin(event))
})
