import { deleteCookie, getCookie, getRequestHeader, setCookie, type H3Event } from 'h3'
import { useDb } from '#server/database'
import type { AdminSessionRow, SurveyRow } from '#server/database/schema'
import { ADMIN_SCOPES, authenticateAccessToken, mayAccessSurvey, type AdminScope } from '#server/services/access-tokens'
import type { AdminRole } from '#server/services/admin-accounts'
import { adminSessionFromToken } from '#server/services/admin-sessions'
import type { Actor } from '#server/services/audit'
import { rateLimitHit } from '#server/services/rate-limit'
import { findSurveyBySlug } from '#server/services/surveys'
import { badRequest, forbidden, notFound, tooManyRequests, unauthorized } from '#server/utils/errors'
import { routerParam } from '#server/utils/request'
import { safeEqual } from '#server/utils/tokens'
import { assertSameOrigin } from './same-origin'
import { adminRateLimit, adminSessionSettings, isHttps, publicOrigin } from './settings'

export const ADMIN_COOKIE = 'rg_admin'

/** Who is asking: a personal access token, or a console account signed in with its cookie. */
export interface AdminPrincipal {
  kind: 'token' | 'account'
  id: number
  name: string
  /** A console account's role; null for a token. */
  role: AdminRole | null
  scopes: readonly string[]
  /** The surveys (slugs, lower case) it may see; null: every survey. */
  surveys: string[] | null
}
export interface AdminContext { principal: AdminPrincipal, actor: Actor }

export function setAdminCookie(event: H3Event, token: string, expires: Date) {
  setCookie(event, ADMIN_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: isHttps(event), path: '/', expires })
}

export const clearAdminCookie = (event: H3Event) =>
  deleteCookie(event, ADMIN_COOKIE, { httpOnly: true, sameSite: 'strict', secure: isHttps(event), path: '/' })

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * The console sign-in behind the cookie; 401 when there is none. A state-changing request must come from
 * the app's own pages (Origin) and carry the sign-in's CSRF token in `X-CSRF-Token`. `stages`: what the
 * route accepts (the second-factor and enrolment routes accept a sign-in that is not complete yet).
 */
export async function requireConsoleSession(event: H3Event, stages: AdminSessionRow['stage'][] = ['active']) {
  const signedIn = await adminSessionFromToken(useDb(), getCookie(event, ADMIN_COOKIE), adminSessionSettings())
  if (!signedIn) throw unauthorized('Sign in to the console first.')
  if (UNSAFE_METHODS.has(event.method)) {
    assertSameOrigin(event)
    const csrf = getRequestHeader(event, 'x-csrf-token') ?? ''
    if (!safeEqual(csrf, signedIn.session.csrfToken)) throw forbidden('The request lacks this sign-in\'s CSRF token.', { csrf: { msg: 'X-CSRF-Token is missing or wrong' } })
  }
  if (!stages.includes(signedIn.session.stage))
    throw unauthorized(signedIn.session.stage === 'enrol' ? 'Set up two-factor sign-in first.' : 'Enter your two-factor code first.')
  return signedIn
}

/**
 * The principal behind the request, with the scope the route needs; rate limited per principal. A
 * request with `Authorization` is a token's; otherwise the console cookie's, where owners and staff
 * have every scope (staff limited to their surveys).
 */
export async function requireAdmin(event: H3Event, scope: AdminScope): Promise<AdminContext> {
  const db = useDb()
  const header = getRequestHeader(event, 'authorization')
  let context: AdminContext
  if (header !== undefined || getCookie(event, ADMIN_COOKIE) === undefined) {
    const token = await authenticateAccessToken(db, header, scope)
    context = {
      principal: { kind: 'token', id: token.tokenId, name: token.name, role: null, scopes: token.scopes, surveys: token.surveys },
      actor: { tokenId: token.tokenId, name: `token:${token.tokenId}:${token.name}` },
    }
  }
  else {
    const { account } = await requireConsoleSession(event)
    context = {
      principal: {
        kind: 'account', id: account.id, name: account.email, role: account.role, scopes: ADMIN_SCOPES,
        surveys: account.role === 'owner' ? null : account.surveys,
      },
      actor: { tokenId: null, name: `admin:${account.id}:${account.email}` },
    }
  }
  const state = await rateLimitHit(db, `admin:${context.principal.kind}:${context.principal.id}`, adminRateLimit())
  if (state.limited) throw tooManyRequests(state.retryAfterSeconds, 'Too many admin requests. Slow down.')
  event.context.adminPrincipal = context.principal
  return context
}

/** Owners manage console accounts and access tokens; nobody else (no token either). */
export async function requireOwner(event: H3Event): Promise<AdminContext> {
  const context = await requireAdmin(event, 'surveys:read')
  if (context.principal.role !== 'owner') throw forbidden('Only an owner can manage console accounts and access tokens.')
  return context
}

function principalOf(event: H3Event): AdminPrincipal {
  const principal = event.context.adminPrincipal as AdminPrincipal | undefined
  if (!principal) throw new Error('requireAdmin must run before the survey is looked up')
  return principal
}

/**
 * The survey named by `slug` (the route's, or the one given); 404 when there is none, and the same 404
 * when the principal is limited to other surveys: a survey outside its list does not exist for it.
 */
export async function adminSurvey(event: H3Event, slug = routerParam(event, 'slug')): Promise<SurveyRow> {
  const survey = await findSurveyBySlug(useDb(), slug)
  if (!survey || !mayAccessSurvey(principalOf(event), survey)) throw notFound('Survey not found.')
  return survey
}

/** Whether the request's principal may see this survey (for filtering lists). */
export const adminMaySee = (event: H3Event) => (survey: Pick<SurveyRow, 'slug'>) => mayAccessSurvey(principalOf(event), survey)

/** Refuses what only a principal with every survey may do (create a survey: a limited one could not see it). */
export function requireEverySurvey(event: H3Event, action: string) {
  if (principalOf(event).surveys !== null) throw forbidden(`This token is limited to named surveys: it cannot ${action}.`)
}

/** A numeric path parameter (`userId`, `id`): 400 naming it when it is not a number. */
export function numberParam(event: H3Event, name: string): number {
  const value = routerParam(event, name)
  if (!/^\d{1,15}$/.test(value)) throw badRequest(`${name} must be a number.`, { [name]: { msg: 'must be a number' } })
  return Number(value)
}

export const userIdParam = (event: H3Event) => numberParam(event, 'userId')

/** The origin links are written on (sign-in links, set-password links); 400 when the request names no host. */
export function linkOrigin(event: H3Event) {
  const origin = publicOrigin(event)
  if (!origin) throw badRequest('The Host header does not name a host: the links cannot be written (set NUXT_PUBLIC_ORIGIN).', { host: { msg: 'is not a valid host' } })
  return origin
}
