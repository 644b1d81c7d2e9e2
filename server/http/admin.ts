import { getRequestHeader, type H3Event } from 'h3'
import { useDb } from '#server/database'
import type { SurveyRow } from '#server/database/schema'
import { authenticateAccessToken, type AdminScope, type TokenPrincipal } from '#server/services/access-tokens'
import type { Actor } from '#server/services/audit'
import { rateLimitHit } from '#server/services/rate-limit'
import { requireSurvey } from '#server/services/surveys'
import { badRequest, tooManyRequests } from '#server/utils/errors'
import { routerParam } from '#server/utils/request'
import { adminRateLimit } from './settings'

export interface AdminContext { principal: TokenPrincipal, actor: Actor }

/** The personal access token behind the request, with the scope the route needs; rate limited per token. */
export async function requireAdmin(event: H3Event, scope: AdminScope): Promise<AdminContext> {
  const db = useDb()
  const principal = await authenticateAccessToken(db, getRequestHeader(event, 'authorization'), scope)
  const state = await rateLimitHit(db, `admin:${principal.tokenId}`, adminRateLimit())
  if (state.limited) throw tooManyRequests(state.retryAfterSeconds, 'Too many admin requests with this token. Slow down.')
  return { principal, actor: { tokenId: principal.tokenId, name: `token:${principal.tokenId}:${principal.name}` } }
}

/** The survey named by the route's `slug`; 404 when there is none. */
export function adminSurvey(event: H3Event): Promise<SurveyRow> {
  return requireSurvey(useDb(), routerParam(event, 'slug'))
}

export function userIdParam(event: H3Event): number {
  const value = routerParam(event, 'userId')
  if (!/^\d{1,15}$/.test(value)) throw badRequest('userId must be a number.', { userId: { msg: 'must be a number' } })
  return Number(value)
}
