import type { z } from 'zod'

export type FieldErrors = Record<string, { msg: string }>

/**
 * An empty field-error map that inherits nothing: field names come from clients, and a name such as
 * `constructor`, `toString` or `__proto__` must be a plain key, not a member of `Object.prototype`.
 */
export const fieldErrors = (): FieldErrors => Object.create(null) as FieldErrors

/**
 * The one error type services and routes throw. The Nitro error handler turns it into the body of
 * docs/api.md#errors; the CLI prints it. It never carries a secret or a stack.
 */
export class AppError extends Error {
  readonly statusCode: number
  readonly errors?: FieldErrors
  readonly headers?: Record<string, string>

  constructor(statusCode: number, message: string, errors?: FieldErrors, headers?: Record<string, string>) {
    // An AppError is an answer, not a fault: no stack to capture (under a flood of refusals it was the
    // largest cost of a request).
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(message)
    Error.stackTraceLimit = stackTraceLimit
    this.name = 'AppError'
    this.statusCode = statusCode
    this.errors = errors
    this.headers = headers
  }
}

export const badRequest = (message: string, errors?: FieldErrors) => new AppError(400, message, errors)
export const unauthorized = (message = 'Authentication required.') => new AppError(401, message)
export const forbidden = (message: string, errors?: FieldErrors) => new AppError(403, message, errors)
export const notFound = (message: string) => new AppError(404, message)
export const conflict = (message: string, errors?: FieldErrors) => new AppError(409, message, errors)
export const tooManyRequests = (retryAfterSeconds: number, message = 'Too many requests. Try again later.') =>
  new AppError(429, message, undefined, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) })

/** Per-field messages keyed by the dotted path of the field at fault (first message per field). */
export function fieldErrorsFromZod(error: z.ZodError, prefix?: string): FieldErrors {
  const errors = fieldErrors()
  for (const issue of error.issues) {
    let path = issue.path.map(String).join('.')
    if (prefix) path = path ? `${prefix}.${path}` : prefix
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const field = path ? `${path}.${key}` : key
        errors[field] ??= { msg: 'is not a known field' }
      }
      continue
    }
    errors[path || '_'] ??= { msg: issue.message }
  }
  return errors
}

export function validationError(error: z.ZodError, message = 'The request is not valid.', prefix?: string) {
  return badRequest(message, fieldErrorsFromZod(error, prefix))
}
