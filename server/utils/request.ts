import { getHeader, getQuery, getRouterParam, type H3Event } from 'h3'
import type { z } from 'zod'
import { AppError, badRequest, fieldErrorsFromZod, type FieldErrors } from './errors'

export const MAX_JSON_BODY_BYTES = 64 * 1024
const INVALID_REQUEST = 'The request is not valid.'

/**
 * The schemas a route validates its input with, exported by the route file as `schemas`: the route
 * reads its input with them, the OpenAPI document names the same objects, and a test checks both.
 * `claims` are those of a JWT the body carries.
 */
export interface RouteSchemas { body?: z.ZodType, query?: z.ZodObject, claims?: z.ZodType }
export const defineRouteSchemas = <const T extends RouteSchemas>(schemas: T): T => schemas

/** The answer's message for a 400: fixed, or chosen from the field errors (undefined: the default). */
export type ValidationMessage = string | ((errors: FieldErrors) => string | undefined)

function validationFailure(error: z.ZodError, message: ValidationMessage = INVALID_REQUEST) {
  const errors = fieldErrorsFromZod(error)
  return badRequest((typeof message === 'function' ? message(errors) : message) ?? INVALID_REQUEST, errors)
}

/** The JSON body as sent and as the schema parses it, or the 400 when it does not fit. */
async function readFittingJson<T extends z.ZodType>(event: H3Event, schema: T, maxBytes: number, message?: ValidationMessage) {
  const body = await readJson(event, maxBytes)
  const result = schema.safeParse(body)
  if (!result.success) throw validationFailure(result.error, message)
  return { sent: body as z.input<T>, parsed: result.data as z.infer<T> }
}

/**
 * Reads a JSON body and validates it with a zod schema: 415 for another content type, 413 over the
 * size limit, 400 for malformed JSON or a body that does not fit the schema (errors per field).
 */
export async function readValidatedJson<T extends z.ZodType>(
  event: H3Event,
  schema: T,
  maxBytes = MAX_JSON_BODY_BYTES,
  message?: ValidationMessage,
): Promise<z.infer<T>> {
  return (await readFittingJson(event, schema, maxBytes, message)).parsed
}

/**
 * Like `readValidatedJson` (at most `MAX_JSON_BODY_BYTES`), but answers the body as it was sent once it
 * fits the schema: for a service that parses the same input again itself (the survey file's validation,
 * shared with the CLI).
 */
export async function readCheckedJson<T extends z.ZodType>(event: H3Event, schema: T, message?: ValidationMessage): Promise<z.input<T>> {
  return (await readFittingJson(event, schema, MAX_JSON_BODY_BYTES, message)).sent
}

/** The query string validated with a zod schema: 400 with `errors` per parameter. */
export function readValidatedQuery<T extends z.ZodObject>(event: H3Event, schema: T): z.infer<T> {
  const query = getQuery(event)
  const withNul = Object.entries(query).find(([key, value]) => holdsNul(key) || [value].flat().some(holdsNul))
  if (withNul) throw badRequest('The query is not valid.', { [withNul[0].replaceAll('\0', '\uFFFD')]: { msg: NUL_MESSAGE } })
  const result = schema.safeParse(query)
  if (!result.success) throw validationFailure(result.error, 'The query is not valid.')
  return result.data
}

/** The parsed JSON body; no body at all reads as {} (so every field is reported missing), an explicit `null` stays null. */
async function readJson(event: H3Event, maxBytes: number): Promise<unknown> {
  const raw = await readBodyWithLimit(event, maxBytes)
  if (!raw.length) return {}
  const contentType = getHeader(event, 'content-type') ?? ''
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) throw new AppError(415, 'Send the request body as JSON (Content-Type: application/json).')
  let body: unknown
  try {
    body = JSON.parse(raw.toString('utf8'))
  }
  catch {
    throw badRequest('The request body is not valid JSON.')
  }
  const protoKey = prototypeKeyPath(body)
  if (protoKey !== undefined) throw badRequest('The request is not valid.', { [protoKey]: { msg: 'is not a known field' } })
  const nulPath = typeof body === 'object' && body !== null ? nulCharacterPath(body) : undefined
  if (nulPath !== undefined) throw badRequest('The request is not valid.', { [nulPath]: { msg: NUL_MESSAGE } })
  return body
}

/**
 * U+0000 has no place in any field of this API, and PostgreSQL cannot hold it in text (a statement
 * carrying it fails): it is refused at the door, the same way on both engines.
 */
const NUL_MESSAGE = 'must not contain the NUL character (U+0000)'
const holdsNul = (value: unknown) => typeof value === 'string' && value.includes('\0')

/** The dotted path of the first string (or key) holding U+0000 anywhere in an object or array parsed from JSON. */
function nulCharacterPath(value: unknown, path: string[] = []): string | undefined {
  if (holdsNul(value)) return path.join('.')
  if (typeof value !== 'object' || value === null) return undefined
  for (const [key, inner] of Object.entries(value)) {
    // The key is named with U+FFFD in its place: the answer itself must not carry the NUL either.
    if (holdsNul(key)) return [...path, key.replaceAll('\0', '\uFFFD')].join('.')
    const found = nulCharacterPath(inner, [...path, key])
    if (found !== undefined) return found
  }
  return undefined
}

/**
 * The dotted path of the first `__proto__` key anywhere in parsed JSON. JSON.parse keeps it as a plain
 * key, but copying the object key by key (as zod's loose objects do) would turn it into the prototype.
 */
function prototypeKeyPath(value: unknown): string | undefined {
  interface Step { node: unknown, key?: string, parent?: Step }
  const pathOf = (step: Step) => {
    const keys: string[] = []
    for (let at: Step | undefined = step; at?.key !== undefined; at = at.parent) keys.unshift(at.key)
    return keys
  }
  const stack: Step[] = [{ node: value }]
  while (stack.length) {
    const step = stack.pop()!
    if (typeof step.node !== 'object' || step.node === null) continue
    for (const key of Object.keys(step.node)) {
      if (key === '__proto__') return [...pathOf(step), key].join('.')
      stack.push({ node: (step.node as Record<string, unknown>)[key], key, parent: step })
    }
  }
  return undefined
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

/** A path parameter, decoded. One holding U+0000 names nothing that can exist (see NUL_MESSAGE): 404. */
export function routerParam(event: H3Event, name: string): string {
  const value = getRouterParam(event, name, { decode: true }) ?? ''
  if (holdsNul(value)) throw new AppError(404, 'Not found.')
  return value
}
