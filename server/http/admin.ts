import { getRequestHeader, type H3Event } from 'h3'
import { useDb } from '#server/database'
import type { SurveyRow } from '#server/database/schema'
import { authenticateAccessToken, mayAccessSurvey, type AdminScope, type TokenPrincipal } from '#server/services/access-tokens'
import type { Actor } from '#server/services/audit'
import { rateLimitHit } from '#server/services/rate-limit'
import { requireSurvey } from '#server/services/surveys'
import { badRequest, forbidden, notFound, tooManyRequests } from '#server/utils/errors'
import { routerParam } from '#server/utils/request'
import { adminRateLimit } from './settings'

export interface AdminContext { principal: TokenPrincipal, actor: Actor }

/** The personal access token behind the request, with the scope the route needs; rate limited per token. */
export function requireAdmin(event: H3Event, scope: AdminScope): AdminContext {
  const db = useDb()
  const principal = authenticateAccessToken(db, getRequestHeader(event, 'authorization'), scope)
  const state = rateLimitHit(db, `admin:${principal.tokenId}`, adminRateLimit())
  if (state.limited) throw tooManyRequests(state.retryAfterSeconds, 'Too many admin requests with this token. Slow down.')
  event.context.adminPrincipal = principal
  return { principal, actor: { tokenId: principal.tokenId, name: `token:${principal.tokenId}:${principal.name}` } }
}

function principalOf(event: H3Event): TokenPrincipal {
  const principal = event.context.adminPrincipal as TokenPrincipal | undefined
  if (!principal) throw new Error('requireAdmin must run before the survey is looked up')
  return principal
}

/**
 * The survey named by `slug` (the route's, or the one given); 404 when there is none, and the same 404
 * when the principal is limited to other surveys: a survey outside its list does not exist for it.
 */
export function adminSurvey(event: H3Event, slug = routerParam(event, 'slug')): SurveyRow {
  const survey = requireSurvey(useDb(), slug)
  if (!mayAccessSurvey(principalOf(event), survey)) throw notFound('Survey not found.')
  return survey
}

/** Whether the request's principal may see this survey (for filtering lists). */
export const adminMaySee = (event: H3Event) => (survey: Pick<SurveyRow, 'slug'>) => mayAccessSurvey(principalOf(event), survey)

/** Refuses what only a principal with every survey may do (create a survey: a limited one could not see it). */
export function requireEverySurvey(event: H3Event, action: string) {
  if (principalOf(event).surveys !== null) throw forbidden(`This token is limited to named surveys: it cannot ${action}.`)
}

export function userIdParam(event: H3Event): number {
  const value = routerParam(event, 'userId')
  if (!/^\d{1,15}$/.test(value)) throw badRequest('userId must be a number.', { userId: { msg: 'must be a number' } })
  return Number(value)
}
