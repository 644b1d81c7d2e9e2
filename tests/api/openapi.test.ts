import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Validator } from '@seriousme/openapi-schema-validator'
import type { InternalApi } from 'nitropack/types'
import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { operations, type Operation } from '#server/openapi/document'
import {
  adminRespondentCreatedSchema, adminRespondentPageSchema, adminRespondentSchema, authLinksCsvSchema, authTokenRotatedSchema,
  completionPreviewSchema, deliveryResendResultSchema, notificationTestSchema, surveyDeletedSchema, surveySecretCreatedSchema,
} from '#shared/schemas/admin'
import {
  adminAccountChangedSchema, adminAccountCreatedSchema, adminAccountListSchema, adminRecoveryCodesSchema, adminSessionSchema,
  adminSetPasswordLinkSchema, adminTokenCreatedSchema, adminTokenListSchema, adminTokenSchema, adminTotpEnrolmentSchema, auditPageSchema,
} from '#shared/schemas/admin-console'
import { feedbackSubmissionListSchema, recallSessionViewSchema, sessionCancelResultSchema, submissionResultSchema } from '#shared/schemas/recall'
import { accessTokenResponseSchema, createUserResponseSchema, loginResponseSchema } from '#shared/schemas/respondent'
import { adminSurveyListSchema, adminSurveySchema, captchaSettingsSchema, deliveryListSchema, generatedCredentialsSchema, okSchema, surveyParametersSchema, userInfoSchema } from '#shared/schemas/responses'
import { publicSurveyEntrySchema, publicSurveyListSchema, surveyAvailabilitySchema } from '#shared/schemas/survey'
import { root } from '../../scripts/ensure-build.mjs'
import { request, useTestServer } from '../support/server'

await useTestServer()

function routeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    return statSync(path).isDirectory() ? routeFiles(path) : [path]
  })
}

/** `server/api/surveys/[slug]/create-user.post.ts` → `post /api/surveys/{slug}/create-user`. */
function operationOf(file: string): string | undefined {
  const route = relative(join(root, 'server', 'api'), file).split(sep).join('/').replace(/\.ts$/, '')
  if (route.includes('[...')) return undefined // the JSON 404 for unknown API paths
  const match = /^(.*?)(?:\.(get|post|put|patch|delete))?$/.exec(route)!
  const path = `/api/${match[1]!}`.replace(/\/index$/, '').replace(/\[(\w+)\]/g, '{$1}')
  return `${match[2] ?? 'get'} ${path}`
}

describe('GET /api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const response = await request('/api/openapi.json')
    expect(response.status).toBe(200)
    const validator = new Validator()
    const result = await validator.validate(response.body as Parameters<Validator['validate']>[0])
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })

  it('documents every route file under server/api, and nothing that is not one', async () => {
    const document = (await request('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> }
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map(method => `${method} ${path}`)).sort()
    const files = routeFiles(join(root, 'server', 'api')).map(operationOf).filter((op): op is string => Boolean(op)).sort()
    expect(files.length).toBeGreaterThan(25)
    expect(documented).toEqual(files)
  })

  it('describes requests with the schemas the routes validate with', async () => {
    const document = (await request('/api/openapi.json')).body as any
    const createUser = document.paths['/api/surveys/{slug}/create-user'].post
    expect(createUser.requestBody.content['application/json'].schema.required).toEqual(['token'])
    const submission = document.paths['/api/surveys/{slug}/submission'].post.requestBody.content['application/json'].schema
    expect(submission.properties.meals.items.properties.time.anyOf ?? submission.properties.meals.items.properties.time).toBeDefined()
    const respondentList = document.paths['/api/admin/surveys/{slug}/respondents'].get
    expect(respondentList.parameters.map((p: { name: string }) => p.name)).toEqual(['slug', 'page', 'limit', 'username'])
    expect(respondentList.security).toEqual([{ personalAccessToken: ['respondents:read'] }, { adminSession: [] }])
    const surveyView = document.paths['/api/admin/surveys/{slug}'].get.responses['200'].content['application/json'].schema
    expect(Object.keys(surveyView.properties)).toContain('genUserKeySet')
    expect(Object.keys(surveyView.properties)).not.toContain('genUserKey')
  })

  it('documents create-user\'s JWT claims and the DELETE force parameter from the schemas the routes use', async () => {
    const document = (await request('/api/openapi.json')).body as any
    const claims = document.paths['/api/surveys/{slug}/create-user'].post['x-jwt-claims']
    expect(claims.required).toEqual(['username'])
    expect(Object.keys(claims.properties)).toEqual(['username', 'password', 'name', 'customFields', 'redirectUrl'])
    const force = document.paths['/api/admin/surveys/{slug}'].delete.parameters.find((p: { name: string }) => p.name === 'force')
    expect(force).toMatchObject({ in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false'] } })
  })

  it('/docs renders the reference from the app\'s own assets', async () => {
    const page = await request('/docs')
    expect(page.status).toBe(200)
    expect(page.body).toContain('<redoc spec-url="/api/openapi.json"')
    expect(page.body).toContain('src="/docs/assets/redoc.standalone.js"')
    expect(page.body).not.toMatch(/https?:\/\/(?!localhost)/)
    const script = await request('/docs/assets/redoc.standalone.js')
    expect(script.status).toBe(200)
    expect(String(script.body).length).toBeGreaterThan(100_000)
  })
})

const INPUT_KINDS = ['body', 'query', 'claims'] as const
type InputKind = typeof INPUT_KINDS[number]

/** Each route file with what it exports as `schemas` and the operation the document has for it. */
async function routes() {
  // Route files call Nitro's auto-imported defineEventHandler when loaded; outside Nitro it only has to
  // hand the handler back, since only the `schemas` export is read here.
  (globalThis as any).defineEventHandler ??= (handler: unknown) => handler
  const files = routeFiles(join(root, 'server', 'api')).filter(file => operationOf(file))
  return Promise.all(files.map(async (file) => {
    const key = operationOf(file)!
    const module = await import(pathToFileURL(file).href) as { schemas?: Partial<Record<string, unknown>> }
    const operation = operations.find(op => `${op.method} ${op.path}` === key)
    return { file: relative(root, file), key, source: readFileSync(file, 'utf8'), schemas: module.schemas ?? {}, operation }
  }))
}

describe('one source for every schema', () => {
  it('the document\'s body, query and claims schemas are the very objects each route validates with', async () => {
    const all = await routes()
    expect(all.length).toBeGreaterThan(25)
    expect(all.filter(route => route.schemas.body).length).toBeGreaterThan(8)
    for (const { key, schemas, operation } of all) {
      expect(operation, key).toBeDefined()
      expect(Object.keys(schemas).filter(kind => !(INPUT_KINDS as readonly string[]).includes(kind)), key).toEqual([])
      // toBe: the same object, so a copy that happens to look alike fails, and so does a schema on one side only.
      for (const kind of INPUT_KINDS) expect(operation![kind], `${key} ${kind}`).toBe(schemas[kind])
    }
  })

  it('a route reads its input only through the schemas it declares, and uses every one it declares', async () => {
    const readers: Record<string, InputKind> = { readValidatedJson: 'body', readCheckedJson: 'body', readValidatedQuery: 'query' }
    for (const { file, source, schemas } of await routes()) {
      expect(source, `${file} reads input unchecked`).not.toMatch(/\b(?:getQuery|getValidatedQuery|readBody|readRawBody|readValidatedBody|readFormData|readMultipartFormData|readBodyWithLimit)\s*\(/)
      for (const [, reader, argument] of source.matchAll(/\b(readValidatedJson|readCheckedJson|readValidatedQuery)\(\s*\w+\s*,\s*([^,)]+)/g))
        expect(argument!.trim(), `${file}: ${reader}`).toBe(`schemas.${readers[reader!]}`)
      for (const [call, receiver] of source.matchAll(/([\w$.]+)\.(?:safeParse|parse|safeParseAsync|parseAsync)\(/g))
        expect(receiver, `${file}: ${call}`).toMatch(/^schemas\.(?:body|query|claims)$/)
      for (const kind of Object.keys(schemas)) expect(source, `${file} declares ${kind} but never uses it`).toContain(`schemas.${kind}`)
    }
  })

  it('every schema the document names is one exported from shared/schemas, not a copy made for it', async () => {
    const dir = join(root, 'shared', 'schemas')
    const shared = new Set<unknown>()
    for (const file of readdirSync(dir).filter(name => name.endsWith('.ts'))) {
      const module = await import(pathToFileURL(join(dir, file)).href) as Record<string, unknown>
      for (const value of Object.values(module)) if (typeof value === 'object' && value !== null && '_zod' in value) shared.add(value)
    }
    const named = (operation: Operation) => [
      ...INPUT_KINDS.map(kind => [kind, operation[kind]] as const),
      ...Object.entries(operation.responses).map(([status, answer]) => [status, answer.schema] as const),
    ].filter(([, schema]) => schema !== undefined)
    let count = 0
    for (const operation of operations) {
      for (const [where, schema] of named(operation)) {
        count++
        expect(shared.has(schema), `${operation.method} ${operation.path} ${where}`).toBe(true)
      }
    }
    expect(count).toBeGreaterThan(40)
  })
})

/** `/api/surveys/{slug}` (the document's spelling) → `/api/surveys/:slug` (Nitro's). */
type NitroPath<P extends string> = P extends `${infer Head}{${infer Name}}${infer Tail}` ? NitroPath<`${Head}:${Name}${Tail}`> : P
/** What the route of `get /api/…` answers, as Nitro types it from the handler (JSON-serialised). */
type RouteAnswer<K extends string> = K extends `${infer Method} ${infer Path}`
  ? NitroPath<Path> extends keyof InternalApi
    ? Method extends keyof InternalApi[NitroPath<Path>] ? InternalApi[NitroPath<Path>][Method] : never
    : never
  : never

/**
 * The success schema documented for a route, accepted by the compiler (`npm run typecheck`) only when
 * what the route's handler returns fits it.
 */
const answer = <K extends string>(key: K) => <S extends z.ZodType>(
  schema: S,
  ..._fits: [RouteAnswer<K>] extends [never] ? [error: 'no such route'] : [RouteAnswer<K>] extends [z.input<S>] ? [] : [error: 'the route answers something this schema does not describe']
) => [key, schema] as const

const documentedAnswers = new Map<string, z.ZodType>([
  answer('get /api/surveys')(publicSurveyListSchema),
  answer('get /api/surveys/{slug}')(publicSurveyEntrySchema),
  answer('get /api/surveys/{slug}/availability')(surveyAvailabilitySchema),
  answer('post /api/surveys/{slug}/generate-user')(generatedCredentialsSchema),
  answer('post /api/surveys/{slug}/create-user')(createUserResponseSchema),
  answer('get /api/auth/captcha')(captchaSettingsSchema),
  answer('post /api/auth/login/alias')(loginResponseSchema),
  answer('post /api/auth/login/token')(loginResponseSchema),
  answer('post /api/auth/refresh')(accessTokenResponseSchema),
  answer('post /api/auth/logout')(okSchema),
  answer('get /api/surveys/{slug}/parameters')(surveyParametersSchema),
  answer('get /api/surveys/{slug}/user-info')(userInfoSchema),
  answer('post /api/surveys/{slug}/session')(recallSessionViewSchema),
  answer('put /api/surveys/{slug}/session')(recallSessionViewSchema),
  answer('delete /api/surveys/{slug}/session')(sessionCancelResultSchema),
  answer('post /api/surveys/{slug}/submission')(submissionResultSchema),
  answer('get /api/surveys/{slug}/submissions')(feedbackSubmissionListSchema),
  answer('get /api/admin/surveys')(adminSurveyListSchema),
  answer('post /api/admin/surveys')(adminSurveySchema),
  answer('get /api/admin/surveys/{slug}')(adminSurveySchema),
  answer('patch /api/admin/surveys/{slug}')(adminSurveySchema),
  answer('delete /api/admin/surveys/{slug}')(surveyDeletedSchema),
  answer('get /api/admin/surveys/{slug}/respondents')(adminRespondentPageSchema),
  answer('post /api/admin/surveys/{slug}/respondents')(adminRespondentCreatedSchema),
  answer('get /api/admin/surveys/{slug}/respondents/auth-links.csv')(authLinksCsvSchema),
  answer('get /api/admin/surveys/{slug}/respondents/{userId}')(adminRespondentSchema),
  answer('patch /api/admin/surveys/{slug}/respondents/{userId}')(adminRespondentSchema),
  answer('post /api/admin/surveys/{slug}/respondents/{userId}/auth-token')(authTokenRotatedSchema),
  answer('get /api/admin/deliveries')(deliveryListSchema),
  answer('post /api/admin/deliveries/{id}/resend')(deliveryResendResultSchema),
  answer('post /api/admin/session')(adminSessionSchema),
  answer('get /api/admin/session')(adminSessionSchema),
  answer('delete /api/admin/session')(okSchema),
  answer('post /api/admin/session/second-factor')(adminSessionSchema),
  answer('post /api/admin/session/totp')(adminTotpEnrolmentSchema),
  answer('post /api/admin/session/totp/confirm')(adminRecoveryCodesSchema),
  answer('post /api/admin/session/sign-out-everywhere')(okSchema),
  answer('post /api/admin/password')(okSchema),
  answer('post /api/admin/surveys/{slug}/secrets')(surveySecretCreatedSchema),
  answer('post /api/admin/surveys/{slug}/notifications/test')(notificationTestSchema),
  answer('get /api/admin/surveys/{slug}/completion-preview')(completionPreviewSchema),
  answer('get /api/admin/audit')(auditPageSchema),
  answer('get /api/admin/accounts')(adminAccountListSchema),
  answer('post /api/admin/accounts')(adminAccountCreatedSchema),
  answer('patch /api/admin/accounts/{id}')(adminAccountChangedSchema),
  answer('post /api/admin/accounts/{id}/password-link')(adminSetPasswordLinkSchema),
  answer('get /api/admin/tokens')(adminTokenListSchema),
  answer('post /api/admin/tokens')(adminTokenCreatedSchema),
  answer('delete /api/admin/tokens/{id}')(adminTokenSchema),
])

describe('responses', () => {
  it('the document describes each success answer with the schema the compiler checked the route\'s answer against', () => {
    const documented = new Map(operations.flatMap((operation) => {
      const success = Object.entries(operation.responses).find(([status]) => Number(status) < 300)?.[1]
      return success?.schema ? [[`${operation.method} ${operation.path}`, success.schema] as const] : []
    }))
    expect([...documented.keys()].sort()).toEqual([...documentedAnswers.keys()].sort())
    for (const [key, schema] of documented) expect(schema, key).toBe(documentedAnswers.get(key))
  })
})
