import type { RouteLocationNormalized } from 'vue-router'
import { apiError } from '~/composables/useRespondentAuth'

/** A console account as the admin API describes it (older servers say `twoFactor` for `mfaEnabled`). */
export interface ConsoleAccount {
  id: number
  email: string
  name: string
  role: 'owner' | 'staff'
  surveys: string[] | null
  mfaEnabled?: boolean
  twoFactor?: boolean
}

/** The console's sign-in: its stage, the CSRF token to send back, and who. Kept in memory only. */
export interface ConsoleSession {
  stage: 'password' | 'enrol' | 'active'
  csrfToken: string
  account: ConsoleAccount
}

/** $fetch without Nitro's route typing (whose inference over every API route is too deep for the compiler here). */
export const plainFetch = <T>(path: string, options: { method?: string, body?: unknown, query?: object, headers?: Record<string, string>, credentials?: RequestCredentials } = {}) =>
  ($fetch as (path: string, options: object) => Promise<T>)(path, options)

export type FieldErrors = Record<string, { msg: string }>

/** The sign-in as last heard from the server: undefined before the first look, null when signed out. */
export const useConsoleSession = () => useState<ConsoleSession | null | undefined>('console-session', () => undefined)

/** Asks the server for the sign-in behind the cookie (once per visit unless `again`). */
export async function loadConsoleSession(again = false): Promise<ConsoleSession | null> {
  const session = useConsoleSession()
  if (session.value !== undefined && !again) return session.value
  try {
    session.value = await plainFetch<ConsoleSession>('/api/admin/session', { credentials: 'same-origin' })
  }
  catch (error) {
    if (apiError(error)?.statusCode !== 401) throw error
    session.value = null
  }
  return session.value
}

/** The console's sign-in page, coming back to `to` afterwards. */
export const consoleLoginRoute = (to?: Pick<RouteLocationNormalized, 'fullPath'>) =>
  ({ path: '/admin/login', query: to && to.fullPath !== '/admin/login' && to.fullPath.startsWith('/admin') ? { next: to.fullPath } : {} })

export interface ConsoleRequest {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  body?: unknown
  query?: Record<string, string | number | undefined>
}

/**
 * Calls the admin API with the console's cookie; a state-changing call carries the sign-in's CSRF token
 * (X-CSRF-Token). A 401 means the sign-in has ended: the console forgets it and goes to the sign-in page.
 */
export async function consoleApi<T>(path: string, request: ConsoleRequest = {}): Promise<T> {
  const session = useConsoleSession()
  const method = request.method ?? 'GET'
  const headers: Record<string, string> = {}
  if (method !== 'GET' && session.value?.csrfToken) headers['x-csrf-token'] = session.value.csrfToken
  const query = request.query && Object.fromEntries(Object.entries(request.query).filter(([, value]) => value !== undefined && value !== ''))
  try {
    return await plainFetch<T>(path, { method, body: request.body, query, headers, credentials: 'same-origin' })
  }
  catch (error) {
    if (apiError(error)?.statusCode === 401) {
      session.value = null
      await navigateTo(consoleLoginRoute(useRoute()))
    }
    throw error
  }
}

/** The per-field messages of a failed call (`errors` of the API's error body), keyed by the field's path. */
export function fieldErrorsOf(error: unknown): FieldErrors {
  const errors = (apiError(error) as { errors?: FieldErrors } | undefined)?.errors
  return errors && typeof errors === 'object' ? errors : {}
}

/** The message for a list field or any of its items (`surveys`, `surveys.2`), the first there is. */
export function listFieldError(errors: FieldErrors, field: string): string | undefined {
  return Object.entries(errors).find(([key]) => key === field || key.startsWith(`${field}.`))?.[1].msg
}

/** What the console says when a call failed: the API's own message (English, as the console is). */
export function consoleFailure(error: unknown, doing: string): string {
  const body = apiError(error)
  if (!body) return `Could not ${doing}: the server did not answer. Check the connection and try again.`
  if (body.statusCode === 429) return `Could not ${doing}: too many requests. Wait a minute and try again.`
  return `Could not ${doing}: ${body.message}`
}

/** Whether the signed-in account is an owner (owners manage accounts and access tokens). */
export const useIsOwner = () => computed(() => useConsoleSession().value?.account.role === 'owner')

/** A date and time as the console shows it (the browser's locale and time zone). */
export function formatWhen(value: string | null | undefined): string {
  if (!value) return '—'
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })
}

/** What a destructive action asks before it goes ahead (components/console/ConfirmDialog.vue shows it). */
export interface ConfirmRequest { title: string, message: string, confirmLabel: string, resolve: (confirmed: boolean) => void }
export const useConfirmRequest = () => useState<ConfirmRequest | null>('console-confirm', () => null)

/** Asks for confirmation in an accessible modal dialog; resolves to whether the user confirmed. */
export function confirmAction(title: string, message: string, confirmLabel: string): Promise<boolean> {
  const request = useConfirmRequest()
  request.value?.resolve(false)
  return new Promise(resolve => request.value = { title, message, confirmLabel, resolve })
}

/**
 * JWT secrets generated in this tab, kept in memory only (never stored, gone with the tab), so that the
 * respondents page can sign create-user links right after the secret was made.
 */
export const useHeldJwtSecrets = () => useState<Record<string, string>>('console-jwt-secrets', () => ({}))

declare module '#app' {
  interface PageMeta {
    /** Only owners may open the page. */
    owner?: boolean
  }
}
