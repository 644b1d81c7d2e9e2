import type { SurveyRow } from '#server/database/schema'
import type { Db } from '#server/database'
import { customFieldsOf, findRespondent, type RespondentRecord } from './respondents'

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

/** Stands in for the respondent's auth token in a preview: the real one is a credential. */
export const PREVIEW_AUTH_TOKEN = 'AUTH-TOKEN'

/**
 * The completion URL the survey's redirect would give the respondent with this username: their own
 * settings when they exist (the auth token shown as `AUTH-TOKEN`), else a sample respondent (userId 0,
 * no custom fields, no redirect of their own). Null when there is none to give.
 */
export async function completionPreview(db: Db, survey: SurveyRow, username: string) {
  const found = await findRespondent(db, survey.id, username)
  const record = found
    ? { ...found, respondent: { ...found.respondent, authToken: PREVIEW_AUTH_TOKEN } }
    : { user: { id: 0 }, respondent: { username, authToken: PREVIEW_AUTH_TOKEN, redirectUrl: null } } as RespondentRecord
  const customFields = found ? await customFieldsOf(db, found.user.id) : []
  return { url: followUpUrl(survey, record, customFields) }
}
