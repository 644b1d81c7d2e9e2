import { readdirSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { Validator } from '@seriousme/openapi-schema-validator'
import { describe, expect, it } from 'vitest'
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
    expect(respondentList.security).toEqual([{ personalAccessToken: ['respondents:read'] }])
    const surveyView = document.paths['/api/admin/surveys/{slug}'].get.responses['200'].content['application/json'].schema
    expect(Object.keys(surveyView.properties)).toContain('genUserKeySet')
    expect(Object.keys(surveyView.properties)).not.toContain('genUserKey')
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
