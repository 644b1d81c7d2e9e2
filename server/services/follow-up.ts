import type { SurveyRow } from '#server/database/schema'
import type { RespondentRecord } from './respondents'

const PLACEHOLDER = '{identifier}'

function originOf(url: string): string | null {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : null
  }
  catch {
    return null
  }
}

/** The value the survey's redirect passes back: userId, username, authToken, or a custom field by name. */
function identifierValue(
  identifier: string,
  record: RespondentRecord,
  customFields: { name: string, value: string }[],
): string | undefined {
  if (identifier === 'userId') return String(record.user.id)
  if (identifier === 'username') return record.respondent.username
  if (identifier === 'authToken') return record.respondent.authToken
  return customFields.find(field => field.name === identifier)?.value
}

/**
 * Where to send the respondent after the recall (docs/partner-integration.md#the-redirect-at-completion).
 * The respondent's own JWT `redirectUrl` wins over the survey's; every `{identifier}` is replaced by the
 * URL-encoded value; only http(s) URLs on an allowed origin (the survey's list, or the origin of its own
 * redirect URL) are returned.
 */
export function followUpUrl(survey: SurveyRow, record: RespondentRecord, customFields: { name: string, value: string }[]): string | null {
  const redirect = survey.scheme.redirect
  const template = record.respondent.redirectUrl ?? redirect?.url
  if (!template) return null
  const allowed = new Set(survey.allowedRedirectOrigins)
  const schemeOrigin = redirect?.url ? originOf(redirect.url) : null
  if (schemeOrigin) allowed.add(schemeOrigin)

  let url = template
  if (template.includes(PLACEHOLDER)) {
    const value = identifierValue(redirect?.identifier ?? 'userId', record, customFields)
    if (value === undefined) return null
    url = template.replaceAll(PLACEHOLDER, encodeURIComponent(value))
  }
  const origin = originOf(url)
  return origin && allowed.has(origin) ? url : null
}
