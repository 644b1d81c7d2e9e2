import { SignJWT } from 'jose'
import type { ConsoleSurvey } from '~/composables/useConsoleSurveys'

export type LinkRedirect = 'recall' | 'home' | 'feedback'

/** The origin respondents' links start with: the survey's own override, else the app's public origin, else this page's. */
export function linkOrigin(survey: Pick<ConsoleSurvey, 'authUrlDomainOverride'>): string {
  const configured = useRuntimeConfig().public.origin as string
  return (survey.authUrlDomainOverride || configured || window.location.origin).replace(/\/+$/, '')
}

/** A respondent's sign-in links for an auth token: the short one (to their home page) and one straight to the recall. */
export function authLinks(survey: Pick<ConsoleSurvey, 'slug' | 'authUrlDomainOverride'>, authToken: string) {
  const base = linkOrigin(survey)
  const token = encodeURIComponent(authToken)
  return {
    short: `${base}/a/${token}`,
    recall: `${base}/${encodeURIComponent(survey.slug)}/recall?auth=${token}`,
  }
}

/**
 * A partner's create-user link for `username`, signed here in the browser with the survey's JWT secret
 * (HS256), as the partner's backend would: `sub` the survey, an expiry within the survey's limits, and the
 * audience, issuer and single-use id its JWT policy asks for. The secret is never sent anywhere.
 */
export async function createUserLink(
  survey: Pick<ConsoleSurvey, 'slug' | 'authUrlDomainOverride' | 'jwtPolicy'>,
  secret: string,
  username: string,
  redirect: LinkRedirect,
  now = Date.now(),
): Promise<string> {
  const policy = survey.jwtPolicy ?? {}
  const issuedAt = Math.floor(now / 1000)
  const lifetime = Math.min(policy.maxLifetimeSeconds ?? 30 * 24 * 3600, 30 * 24 * 3600)
  const configured = useRuntimeConfig().public.origin as string
  const audiences = [...[policy.audience ?? []].flat(), ...(configured ? [configured] : [])]
  let jwt = new SignJWT({ username })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(survey.slug)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + lifetime)
  if (audiences.length) jwt = jwt.setAudience(audiences)
  if (policy.issuer) jwt = jwt.setIssuer(policy.issuer)
  if (policy.singleUse) jwt = jwt.setJti(crypto.randomUUID())
  const token = await jwt.sign(new TextEncoder().encode(secret))
  return `${linkOrigin(survey)}/${encodeURIComponent(survey.slug)}/create-user/${token}?redirect=${redirect}`
}
