import type { NitroErrorHandler } from 'nitropack'
import { getRequestURL, send, setResponseHeader, setResponseHeaders, setResponseStatus, type H3Event } from 'h3'
import { AppError, type FieldErrors } from './utils/errors'

interface ErrorBody { statusCode: number, message: string, errors?: FieldErrors }

const genericMessages: Record<number, string> = {
  400: 'The request is not valid.',
  401: 'Authentication required.',
  403: 'Forbidden.',
  404: 'Not found.',
  405: 'Method not allowed.',
  413: 'The request body is too large.',
  415: 'Unsupported content type.',
  429: 'Too many requests.',
}

const isAppError = (error: unknown) => error instanceof AppError || (error as { cause?: unknown })?.cause instanceof AppError

/** Turns any error into the body of docs/api.md#errors: status, a clear message, field errors, nothing internal. */
export function errorBody(error: unknown): { body: ErrorBody, headers?: Record<string, string> } {
  const cause = (error as { cause?: unknown })?.cause
  const appError = error instanceof AppError ? error : cause instanceof AppError ? cause : undefined
  if (appError) {
    const body: ErrorBody = { statusCode: appError.statusCode, message: appError.message }
    if (appError.errors && Object.keys(appError.errors).length) body.errors = appError.errors
    return { body, headers: appError.headers }
  }
  const h3Error = error as {
    statusCode?: number
    statusMessage?: string
    message?: string
    unhandled?: boolean
    data?: { errors?: FieldErrors }
  }
  const statusCode = Number(h3Error?.statusCode) || 500
  if (statusCode >= 500 || h3Error?.unhandled) return { body: { statusCode: statusCode >= 500 ? statusCode : 500, message: 'Internal server error.' } }
  const message = statusCode === 400 && /json/i.test(`${h3Error.message} ${h3Error.statusMessage}`)
    ? 'The request body is not valid JSON.'
    : (h3Error.message && h3Error.message !== 'HTTPError' ? h3Error.message : undefined) ?? h3Error.statusMessage ?? genericMessages[statusCode] ?? 'The request failed.'
  const body: ErrorBody = { statusCode, message }
  if (h3Error.data?.errors) body.errors = h3Error.data.errors
  return { body }
}

const ABORT_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE'])

/** The client went away mid-request (closed the socket while sending the body): not a fault of ours. */
function clientAborted(error: unknown, event: H3Event): boolean {
  const request = event.node.req
  if (!request.destroyed && !request.socket?.destroyed) return false
  return [error, (error as { cause?: unknown })?.cause].some((candidate) => {
    const { code, message } = (candidate ?? {}) as { code?: string, message?: string }
    return (code !== undefined && ABORT_CODES.has(code)) || message === 'aborted'
  })
}

const apiErrorHandler: NitroErrorHandler = async (error, event) => {
  if (!getRequestURL(event).pathname.startsWith('/api/')) return // pages: Nuxt's error page
  const { body, headers } = errorBody(error)
  if (clientAborted(error, event)) console.warn(`[api] ${event.method} ${getRequestURL(event).pathname}: the client closed the connection`)
  // A 5xx the app chose to answer (503 when busy) is not a fault: only unexpected errors are logged.
  else if (body.statusCode >= 500 && !isAppError(error)) console.error(`[api] ${event.method} ${getRequestURL(event).pathname} failed:`, error.cause ?? error)
  return sendErrorBody(event, body, headers)
}

function sendErrorBody(event: H3Event, body: ErrorBody, headers?: Record<string, string>) {
  if (headers) setResponseHeaders(event, headers)
  setResponseHeader(event, 'Content-Type', 'application/json; charset=utf-8')
  setResponseHeader(event, 'Cache-Control', 'no-store')
  setResponseStatus(event, body.statusCode)
  return send(event, JSON.stringify(body))
}

/** Answers an API request with an error the app chose (an AppError), as the error handler would, without throwing it. */
export function sendApiError(event: H3Event, error: AppError) {
  const { body, headers } = errorBody(error)
  return sendErrorBody(event, body, headers)
}

export default apiErrorHandler
