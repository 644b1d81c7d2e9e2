import { getHeader, getRouterParam, type H3Event } from 'h3'
import type { z } from 'zod'
import { AppError, badRequest, validationError } from './errors'

export const MAX_JSON_BODY_BYTES = 64 * 1024

/**
 * Reads a JSON body and validates it with a zod schema: 415 for another content type, 413 over the
 * size limit, 400 for malformed JSON or a body that does not fit the schema (errors per field).
 */
export async function readValidatedJson<T extends z.ZodType>(event: H3Event, schema: T, maxBytes = MAX_JSON_BODY_BYTES): Promise<z.infer<T>> {
  const raw = await readBodyWithLimit(event, maxBytes)
  let body: unknown = undefined
  if (raw.length) {
    const contentType = getHeader(event, 'content-type') ?? ''
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) throw new AppError(415, 'Send the request body as JSON (Content-Type: application/json).')
    try {
      body = JSON.parse(raw.toString('utf8'))
    }
    catch {
      throw badRequest('The request body is not valid JSON.')
    }
  }
  // No body at all reads as {} (so every field is reported missing); an explicit `null` is refused.
  const result = schema.safeParse(body === undefined ? {} : body)
  if (!result.success) throw validationError(result.error)
  return result.data
}

const tooLarge = (maxBytes: number) => new AppError(413, `The request body is larger than ${maxBytes} bytes.`)

/** The raw body, refused with 413 as soon as it passes `maxBytes` (declared or streamed): never buffered whole. */
export async function readBodyWithLimit(event: H3Event, maxBytes: number): Promise<Buffer> {
  if (Number(getHeader(event, 'content-length') ?? 0) > maxBytes) throw tooLarge(maxBytes)
  const request = event.node.req
  if (request.readableEnded) return Buffer.alloc(0)
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) return void chunks.push(chunk)
      // Stop keeping the body, but let it drain so the client still reads the 413 answer.
      request.off('data', onData)
      request.resume()
      reject(tooLarge(maxBytes))
    }
    request.on('data', onData)
    request.once('end', () => resolve(Buffer.concat(chunks)))
    request.once('error', reject)
  })
}

export function routerParam(event: H3Event, name: string): string {
  return getRouterParam(event, name, { decode: true }) ?? ''
}
