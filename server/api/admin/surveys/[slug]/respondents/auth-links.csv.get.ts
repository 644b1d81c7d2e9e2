import { useDb } from '#server/database'
import { audit } from '#server/services/audit'
import { authLinksCsv } from '#server/services/respondent-admin'
import { adminSurvey, requireAdmin } from '#server/http/admin'
import { publicOrigin } from '#server/http/settings'
import { badRequest } from '#server/utils/errors'

/** Every respondent's sign-in links as CSV (userId, username, authToken, shortLink, surveyLink, feedbackLink). */
export default defineEventHandler(async (event) => {
  const { actor } = await requireAdmin(event, 'respondents:read')
  const survey = await adminSurvey(event)
  const origin = publicOrigin(event)
  if (!origin) throw badRequest('The Host header does not name a host: the links cannot be written (set NUXT_PUBLIC_ORIGIN).', { host: { msg: 'is not a valid host' } })
  const db = useDb()
  const csv = await authLinksCsv(db, survey, origin)
  await audit(db, actor, 'respondent.export-auth-links', survey.slug, { respondents: csv.trim().split('\r\n').length - 1 })
  setResponseHeaders(event, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${survey.slug}-auth-links.csv"`,
    'cache-control': 'no-store',
  })
  return csv
})
