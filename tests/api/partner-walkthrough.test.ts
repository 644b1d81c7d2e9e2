import { afterAll, describe, expect, it } from 'vitest'
import { createAccessToken } from '#server/services/access-tokens'
import { signPartnerToken } from '../support/jwt'
import { request, useTestServer } from '../support/server'
import { startWebhookReceiver, waitFor } from '../support/webhook-receiver'

const receiver = await startWebhookReceiver()
afterAll(() => receiver.stop())
const server = await useTestServer({ NUXT_WEBHOOKS_ALLOW_PRIVATE: 'true', NUXT_WEBHOOKS_POLL_MS: '100', NUXT_PUBLIC_ORIGIN: 'https://recall.example.org' })

describe('a partner integration from scratch, with only the admin API', () => {
  it('survey with a secret and notifications → respondent → links → signed JWT → create-user → deliveries', async () => {
    // The administrator issues one token (the CLI does this: npm run cli -- tokens:create …).
    const { token } = await createAccessToken(server.db(), { name: 'cohort-portal', scopes: ['surveys:write', 'surveys:read', 'respondents:write', 'respondents:read', 'deliveries:read'] })
    const admin = (path: string, init: { method?: string, body?: unknown } = {}) => request(`/api/admin${path}`, { ...init, headers: { authorization: `Bearer ${token}` } })
    const secret = 'cohort-portal-shared-secret-0123456789abcdef'

    const survey = await admin('/surveys', {
      method: 'POST',
      body: {
        slug: 'cohort',
        name: 'Cohort recall',
        supportEmail: 'cohort@example.org',
        state: 'active',
        allowGenUsers: true,
        genUserKey: secret,
        authModes: ['token'],
        notifications: [{ type: 'survey.respondent.created', url: `${receiver.origin}/intake24` }],
      },
    })
    expect(survey.status).toBe(201)
    expect(survey.body.generatedWebhookSecret).toMatch(/^whsec_/)

    const respondent = await admin('/surveys/cohort/respondents', { method: 'POST', body: { username: 'pre-registered' } })
    expect(respondent.status).toBe(201)

    const csv = String((await admin('/surveys/cohort/respondents/auth-links.csv')).body)
    expect(csv).toContain(`https://recall.example.org/a/${respondent.body.authToken}`)

    const jwt = await signPartnerToken(secret, { username: 'portal-42', sub: 'cohort', aud: 'https://recall.example.org', exp: Math.floor(Date.now() / 1000) + 300 })
    const created = await request('/api/surveys/cohort/create-user', { method: 'POST', body: { token: jwt } })
    expect(created.status).toBe(200)
    expect(created.body).toMatchObject({ username: 'portal-42', authToken: expect.any(String) })

    await waitFor(() => receiver.received.filter(r => r.path === '/intake24').length >= 2, 15_000, 'two respondent.created webhooks')
    expect(receiver.received.map(r => r.json.username).sort()).toEqual(['portal-42', 'pre-registered'])
    let deliveries: { status: string, type: string, attemptLog: { statusCode: number }[] }[] = []
    for (let tries = 0; tries < 50; tries++) {
      deliveries = (await admin('/deliveries?survey=cohort')).body
      if (deliveries.every(d => d.status === 'delivered')) break
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    expect(deliveries).toHaveLength(2)
    expect(deliveries.map(d => [d.type, d.status, d.attemptLog[0]?.statusCode])).toEqual([
      ['survey.respondent.created', 'delivered', 200],
      ['survey.respondent.created', 'delivered', 200],
    ])
  })
})
