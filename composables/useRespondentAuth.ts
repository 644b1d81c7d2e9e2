import type { FetchOptions } from 'ofetch'

interface AuthState { accessToken: string | null, surveySlug: string | null }
export interface ApiErrorBody { statusCode: number, message: string, errors?: Record<string, { msg: string }> }
export type LoginResult = { ok: true } | { ok: false, challenge: true }

/** The survey the access token is for (read, not verified: the server verifies it on every call). */
function surveyOfToken(accessToken: string): string | null {
  try {
    const payload = JSON.parse(atob(accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')))
    return typeof payload.survey === 'string' ? payload.survey : null
  }
  catch {
    return null
  }
}

/** The refresh under way: resolves to null once renewed, or to why it failed. */
let refreshing: Promise<unknown> | null = null

/**
 * The respondent's session on the client: the access token lives only in memory; the HttpOnly refresh
 * cookie (path /api/auth) renews it, so a reload keeps the respondent signed in.
 */
export function useRespondentAuth() {
  const state = useState<AuthState>('respondent-auth', () => ({ accessToken: null, surveySlug: null }))

  function accept(accessToken: string) {
    state.value = { accessToken, surveySlug: surveyOfToken(accessToken) }
  }

  const forget = () => {
    state.value = { accessToken: null, surveySlug: null }
  }

  /**
   * One refresh at a time, across this browser's tabs too (Web Locks): the refresh cookie is shared, and
   * a rotated refresh token presented twice ends the session, so a second tab must wait for the first
   * rotation and then send the new cookie.
   */
  function renew(): Promise<unknown> {
    const call = () => $fetch<{ accessToken: string }>('/api/auth/refresh', { method: 'POST' })
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined
    const turn = async () => locks ? await locks.request('rg-refresh', call) : await call()
    refreshing ??= turn()
      .then(({ accessToken }) => {
        accept(accessToken)
        return null
      })
      .catch((error: unknown) => {
        forget()
        return error ?? new Error('The session could not be renewed.')
      })
      .finally(() => {
        refreshing = null
      })
    return refreshing
  }

  const refresh = async () => (await renew()) === null

  const sameSurvey = (slug: string) => state.value.surveySlug?.toLowerCase() === slug.toLowerCase()

  /** Signed in to this survey (renewing the access token through the cookie when needed)? */
  async function ensureSession(slug: string): Promise<boolean> {
    if (state.value.accessToken && sameSurvey(slug)) return true
    return (await refresh()) && sameSurvey(slug)
  }

  /** An access token, or the survey's captcha challenge (no token yet). */
  async function login(path: string, body: Record<string, unknown>): Promise<LoginResult> {
    const answer = await $fetch<{ accessToken?: string, provider?: string }>(path, { method: 'POST', body })
    if (!answer.accessToken) return { ok: false, challenge: true }
    accept(answer.accessToken)
    return { ok: true }
  }

  const loginWithToken = (token: string, captcha?: string) => login('/api/auth/login/token', { token, captcha })

  const loginWithPassword = (survey: string, username: string, password: string, captcha?: string) =>
    login('/api/auth/login/alias', { survey, username, password, captcha })

  async function logout() {
    await $fetch('/api/auth/logout', { method: 'POST' }).catch(() => undefined)
    forget()
  }

  /**
   * A call to the respondent API with the access token, renewed first when there is none and once on
   * 401. When the renewal fails, its own failure is thrown: a 401 (see isSignedOut) when the server
   * refused it, no status or a 5xx when it could not be asked, which is worth trying again.
   */
  async function api<T>(path: string, options: FetchOptions<'json'> = {}): Promise<T> {
    const call = () => $fetch<T>(path, { ...options, headers: { ...options.headers as Record<string, string>, authorization: `Bearer ${state.value.accessToken}` } } as never) as Promise<T>
    if (state.value.accessToken) {
      try {
        return await call()
      }
      catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 401) throw error
      }
    }
    const failure = await renew()
    if (failure) throw failure
    return call()
  }

  return { state, accept, refresh, ensureSession, loginWithToken, loginWithPassword, logout, api, sameSurvey }
}

/**
 * A sign-in link that failed on our side, or was refused for too many attempts (for how long, when the
 * server said): it may work later. Any other answer is a problem with the link itself.
 */
export function unavailableLinkProblem(error: unknown): { kind: 'unavailable', retryAfterMinutes?: number, tooMany?: boolean } | undefined {
  const body = apiError(error)
  if (body && body.statusCode < 500 && body.statusCode !== 429) return undefined
  return body?.statusCode === 429 ? { kind: 'unavailable', tooMany: true, retryAfterMinutes: retryAfterMinutes(error) } : { kind: 'unavailable' }
}

/** The JSON error body of a failed $fetch, when the server sent one. */
export function apiError(error: unknown): ApiErrorBody | undefined {
  const data = (error as { data?: unknown }).data
  if (data && typeof data === 'object' && 'statusCode' in data) return data as ApiErrorBody
  const statusCode = (error as { statusCode?: number }).statusCode
  return statusCode ? { statusCode, message: (error as Error).message } : undefined
}

/** A failure of `api()` that only signing in again can mend: the server refused the session and its renewal. */
export const isSignedOut = (error: unknown) => apiError(error)?.statusCode === 401
