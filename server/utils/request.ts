import { getHeader, getRouterParam, readRawBody, type H3Event } from 'h3'
import type { z } from 'zod'
import { AppError, badRequest, validationError } from './errors'

export const MAX_JSON_BODY_BYTES = 64 * 1024

/**
 * Reads a JSON body and validates it with a zod schema: 415 for another content type, 413 over the
 * size limit, 400 for malformed JSON or a body that does not fit the schema (errors per field).
 */
export async function readValidatedJson<T extends z.ZodType>(event: H3Event, schema: T, maxBytes = MAX_JSON_BODY_BYTES): Promise<z.infer<T>> {
  const declaredLength = Number(getHeader(event, 'content-length') ?? 0)
  if (declaredLength > maxBytes) throw new AppError(413, `The request body is larger than ${maxBytes} bytes.`)
  const raw = await readRawBody(event, false)
  let body: unknown = undefined
  if (raw && raw.length) {
    if (raw.length > maxBytes) throw new AppError(413, `The request body is larger than ${maxBytes} bytes.`)
    const contentType = getHeader(event, 'content-type') ?? ''
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) throw new AppError(415, 'Send the request body as JSON (Content-Type: application/json).')
    try {
      body = JSON.parse(raw.toString('utf8'))
    }
    catch {
      throw badRequest('The request body is not valid JSON.')
    }
  }
  const result = schema.safeParse(body ?? {})
  if (!result.success) throw validationError(result.error)
  return result.data
}

export function routerParam(event: H3Event, name: string): string {
  return getRouterParam(event, name, { decode: true }) ?? ''
}
