import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_SCOPES, createAccessToken } from '#server/services/access-tokens'
import { upsertSurveys } from '#server/services/surveys'
import { runCli } from '../support/cli'
import { request, useTestServer } from '../support/server'
import { startWebhookReceiver } from '../support/webhook-receiver'

const receiver = await startWebhookReceiver()
afterAll(() => receiver.stop())
const server = await useTestServer({ NUXT_WEBHOOKS_ALLOW_PRIVATE: 'true', NUXT_PUBLIC_ORIGIN: 'https://survey.example.org' })

let everything: string, alphaOnly: string
const notFound = { statusCode: 404, message: 'Survey not found.' }

beforeAll(async () => {
  const db = server.db()
  const study = (slug: string) => ({
    slug,
    name: `Study ${slug}`,
    supportEmail: 'team@example.org',
    state: 'active',
    notifications: [{ type: 'survey.respondent.created', url: `${receiver.origin}/${slug}` }],
  })
  await upsertSurveys(db, [study('Alpha'), study('beta')], { allowPrivateWebhooks: true })
  everything = (await createAccessToken(db, { name: 'owner', scopes: [...ADMIN_SCOPES] })).token
  alphaOnly = (await createAccessToken(db, { name: 'alpha team', scopes: [...ADMIN_SCOPES], surveys: ['ALPHA'] })).token
})

const as = (token: string) => (path: string, init: { method?: string, body?: unknown } = {}) =>
  request(`/api/admin${path}`, { ...init, headers: { authorization: `Bearer ${token}` } })

/** Every admin route that names a survey, with a body it accepts. */
const surveyRoutes = (slug: string, userId: string): [method: string, path: string, body?: unknown][] => [
  ['GET', `/surveys/${slug}`],
  ['PATCH', `/surveys/${slug}`, { name: 'Renamed' }],
  ['GET', `/surveys/${slug}/respondents`],
  ['POST', `/surveys/${slug}/respondents`, { username: `made-by-limited-${slug}` }],
  ['GET', `/surveys/${slug}/respondents/auth-links.csv`],
  ['GET', `/surveys/${slug}/respondents/${userId}`],
  ['PATCH', `/surveys/${slug}/respondents/${userId}`, { name: 'Someone' }],
  ['POST', `/surveys/${slug}/respondents/${userId}/auth-token`],
  ['GET', `/deliveries?survey=${slug}`],
  ['DELETE', `/surveys/${slug}?force=true`],
  ['POST', `/surveys/${slug}/secrets`, { kind: 'webhook' }],
  ['POST', `/surveys/${slug}/notifications/test`],
  ['GET', `/surveys/${slug}/completion-preview?username=someone`],
  ['GET', `/deliveries?survey=${slug}&event=webhook.test&status=pending`],
  ['GET', `/audit?survey=${slug}`],
]

describe('personal access tokens limited to named surveys', () => {
  const respondentOf: Record<string, string> = {}

  beforeAll(async () => {
    for (const slug of ['alpha', 'beta']) {
      const created = await as(everything)(`/surveys/${slug}/respondents`, { method: 'POST', body: { username: `member-${slug}` } })
      expect(created.status).toBe(201)
      respondentOf[slug] = created.body.userId
    }
  })

  it('a survey outside the list answers 404 on every admin route, exactly as a survey that does not exist', async () => {
    for (const [method, path, body] of surveyRoutes('beta', respondentOf.beta!)) {
      const outside = await as(alphaOnly)(path, { method, body })
      const missing = await as(alphaOnly)(path.replace('beta', 'no-such-survey'), { method, body })
      expect(outside.status, `${method} ${path}`).toBe(404)
      expect(outside.body, `${method} ${path}`).toEqual(notFound)
      expect(outside.body, `${method} ${path}`).toEqual(missing.body)
    }
    // Nothing was changed in the other survey.
    const beta = await as(everything)('/surveys/beta')
    expect(beta.body).toMatchObject({ slug: 'beta', name: 'Study beta' })
    const betaRespondents = await as(everything)('/surveys/beta/respondents')
    expect(betaRespondents.body.items.map((row: { username: string }) => row.username)).toEqual(['member-beta'])
  })

  it('a survey in the list works on every admin route, whatever the case of its slug', async () => {
    const routes = surveyRoutes('ALPHA', respondentOf.alpha!).filter(([method]) => method !== 'DELETE')
    const statuses: Record<string, number> = {}
    for (const [method, path, body] of routes) statuses[`${method} ${path}`] = (await as(alphaOnly)(path, { method, body })).status
    const expected = (method: string, path: string) => method === 'POST' && path.endsWith('/respondents') ? 201 : path.endsWith('/test') ? 202 : 200
    expect(statuses).toEqual(Object.fromEntries(routes.map(([method, path]) => [`${method} ${path}`, expected(method, path)])))
  })

  it('lists show only the surveys in the list, and their deliveries', async () => {
    const surveys = await as(alphaOnly)('/surveys')
    expect(surveys.status).toBe(200)
    expect(surveys.body.map((survey: { slug: string }) => survey.slug)).toEqual(['Alpha'])
    const all = await as(everything)('/surveys')
    expect(all.body.map((survey: { slug: string }) => survey.slug).sort()).toEqual(['Alpha', 'beta'])

    const deliveries = await as(alphaOnly)('/deliveries')
    expect(deliveries.status).toBe(200)
    expect(deliveries.body.length).toBeGreaterThan(0)
    expect(new Set(deliveries.body.map((delivery: { survey: string }) => delivery.survey))).toEqual(new Set(['Alpha']))
    const allDeliveries = await as(everything)('/deliveries')
    expect(new Set(allDeliveries.body.map((delivery: { survey: string }) => delivery.survey))).toEqual(new Set(['Alpha', 'beta']))
  })

  it('re-sending a delivery of another survey is 404; one of its own is accepted', async () => {
    const allDeliveries = (await as(everything)('/deliveries')).body as { id: string, survey: string }[]
    const ofBeta = allDeliveries.find(delivery => delivery.survey === 'beta')!
    const ofAlpha = allDeliveries.find(delivery => delivery.survey === 'Alpha')!
    const refused = await as(alphaOnly)(`/deliveries/${ofBeta.id}/resend`, { method: 'POST' })
    expect(refused.status).toBe(404)
    expect(refused.body).toEqual({ statusCode: 404, message: `No webhook delivery ${ofBeta.id}.` })
    expect((await as(alphaOnly)(`/deliveries/${ofAlpha.id}/resend`, { method: 'POST' })).status).toBe(202)
  })

  it('cannot create a survey (it could never see it); a token for every survey can', async () => {
    const body = { slug: 'gamma', name: 'Gamma', supportEmail: 'team@example.org' }
    const refused = await as(alphaOnly)('/surveys', { method: 'POST', body })
    expect(refused.status).toBe(403)
    expect(refused.body.message).toMatch(/limited to named surveys/)
    expect((await as(everything)('/surveys/gamma')).status).toBe(404)
    expect((await as(everything)('/surveys', { method: 'POST', body })).status).toBe(201)
  })

  it('a token for every survey (as every token made before surveys could be named) sees every survey', async () => {
    for (const [method, path, body] of surveyRoutes('beta', respondentOf.beta!).slice(0, 3))
      expect((await as(everything)(path, { method, body })).status, `${method} ${path}`).toBe(200)
  })

  it('deleting a survey in the list works', async () => {
    expect((await as(alphaOnly)('/surveys/alpha?force=true', { method: 'DELETE' })).status).toBe(200)
    expect((await as(alphaOnly)('/surveys')).body).toEqual([])
  })
})

describe('making a limited token', () => {
  it('refuses a survey that does not exist, naming it', async () => {
    await expect(createAccessToken(server.db(), { name: 'typo', scopes: ['surveys:read'], surveys: ['beta', 'btea'] }))
      .rejects.toThrow(expect.objectContaining({ statusCode: 400, errors: { 'surveys.1': { msg: 'no survey "btea"' } } }))
  })

  it('npm run cli -- tokens:create --surveys limits the token; tokens:list shows the list', async () => {
    const made = runCli(['tokens:create', '--name', 'beta partner', '--scopes', 'surveys:read', '--surveys', 'BETA'], server.databasePath)
    expect(made.status, made.stderr).toBe(0)
    const created = JSON.parse(made.stdout) as { token: string, surveys: string[] }
    expect(created.surveys).toEqual(['beta'])
    expect((await as(created.token)('/surveys/beta')).status).toBe(200)
    expect((await as(created.token)('/surveys/gamma')).status).toBe(404)
    expect((await as(created.token)('/surveys')).body.map((survey: { slug: string }) => survey.slug)).toEqual(['beta'])

    const listed = runCli(['tokens:list'], server.databasePath)
    expect(listed.stdout).toMatch(/beta partner.*beta/)
    const refused = runCli(['tokens:create', '--name', 'x', '--scopes', 'surveys:read', '--surveys', 'nope'], server.databasePath)
    expect(refused.status).toBe(1)
    expect(refused.stderr).toContain('no survey "nope"')
  })
})
