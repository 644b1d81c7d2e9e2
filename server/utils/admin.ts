import { getRequestHeader, getRequestURL, type H3Event } from 'h3'
import { useDb } from '../database'
import type { SurveyRow } from '../database/schema'
import { authenticateAccessToken, type AdminScope, type TokenPrincipal } from '../services/access-tokens'
import { audit, type Actor } from '../services/audit'
import { adminSurveyView, findSurveyBySlug, upsertSurvey } from '../services/surveys'
import { rateLimitRule, trustedProxyHops, webhooksAllowPrivate } from './context'
import { badRequest, notFound, tooManyRequests } from './errors'
import { rateLimitHit } from './rate-limit'
import { routerParam } from './request'

export interface AdminContext { principal: TokenPrincipal, actor: Actor }

/** The personal access token behind the request, with the scope the route needs; rate limited per token. */
export function requireAdmin(event: H3Event, scope: AdminScope): AdminContext {
  const db = useDb()
  const principal = authenticateAccessToken(db, getRequestHeader(event, 'authorization'), scope)
  const state = rateLimitHit(db, `admin:${principal.tokenId}`, rateLimitRule(useRuntimeConfig().adminRateLimit))
  if (state.limited) throw tooManyRequests(state.retryAfterSeconds, 'Too many admin requests with this token. Slow down.')
  return { principal, actor: { tokenId: principal.tokenId, name: `token:${principal.tokenId}:${principal.name}` } }
}

export function adminSurvey(event: H3Event): SurveyRow {
  const survey = findSurveyBySlug(useDb(), routerParam(event, 'slug'))
  if (!survey) throw notFound('Survey not found.')
  return survey
}

export function userIdParam(event: H3Event): number {
  const value = routerParam(event, 'userId')
  if (!/^\d{1,15}$/.test(value)) throw badRequest('userId must be a number.', { userId: { msg: 'must be a number' } })
  return Number(value)
}

/** Where links point: NUXT_PUBLIC_ORIGIN, else the origin this request came to. */
export function publicOrigin(event: H3Event): string {
  const trusted = trustedProxyHops() > 0
  return useRuntimeConfig().public.origin || getRequestURL(event, { xForwardedHost: trusted, xForwardedProto: trusted }).origin
}

const SECRET_FIELDS = ['genUserKey', 'webhookSecret']

/**
 * Creates or updates a survey for the admin API: saved with the CLI's validation (`input`), audited by
 * the fields the request named (`body`; secrets only as "changed"), answered as the admin view plus a
 * webhook secret generated now.
 */
export function saveSurveyAsAdmin(actor: Actor, action: 'survey.create' | 'survey.update', body: Record<string, unknown>, input: Record<string, unknown> = body) {
  const db = useDb()
  const { survey, generatedWebhookSecret } = upsertSurvey(db, input, { allowPrivateWebhooks: webhooksAllowPrivate() })
  audit(db, actor, action, survey.slug, {
    fields: Object.keys(body).filter(key => !SECRET_FIELDS.includes(key)),
    ...(action === 'survey.update' ? { secretsChanged: SECRET_FIELDS.filter(key => key in body) } : {}),
  })
  return { ...adminSurveyView(survey), ...(generatedWebhookSecret ? { generatedWebhookSecret } : {}) }
}
