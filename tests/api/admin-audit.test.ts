import { eq, sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { auditLog, respondents, surveyEvents, users, webhookDeliveries } from '#server/database/schema'
import { ADMIN_SCOPES, createAccessToken } from '#server/services/access-tokens'
import { findSurveyBySlug } from '#server/services/surveys'
import { request, useTestServer } from '../support/server'

const server = await useTestServer()
let token: string

beforeAll(async () => {
  token = (await createAccessToken(server.db(), { name: 'auditor', scopes: [...ADMIN_SCOPES] })).token
})

const admin = (path: string, init: { method?: string, body?: unknown } = {}) =>
  request(`/api/admin${path}`, { ...init, headers: { authorization: `Bearer ${token}` } })
const auditCount = () => server.db().select().from(auditLog).all().length

/**
 * Runs `change` while the audit log refuses every row (a trigger, as a full disk or a broken table would):
 * it must fail as a plain 500 and leave no audit row. Then runs it again with the log working: one row.
 */
async function withAuditLogBroken(change: () => Promise<{ status: number, body: unknown }>) {
  const before = auditCount()
  server.db().run(sql`CREATE TRIGGER broken_audit_log BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is broken'); END`)
  try {
    const refused = await change()
    expect(refused.status).toBe(500)
    expect(refused.body).toEqual({ statusCode: 500, message: 'Internal server error.' })
  }
  finally {
    server.db().run(sql`DROP TRIGGER broken_audit_log`)
  }
  expect(auditCount()).toBe(before)
}

describe('admin changes and their audit rows commit together', () => {
  it('a survey create or update whose audit row cannot be written saves nothing', async () => {
    await withAuditLogBroken(() => admin('/surveys', { method: 'POST', body: { slug: 'audited', name: 'Audited', supportEmail: 'a@example.org', state: 'active' } }))
    expect(await findSurveyBySlug(server.db(), 'audited')).toBeUndefined()
    const created = await admin('/surveys', { method: 'POST', body: { slug: 'audited', name: 'Audited', supportEmail: 'a@example.org', state: 'active' } })
    expect(created.status).toBe(201)

    await withAuditLogBroken(() => admin('/surveys/audited', { method: 'PATCH', body: { name: 'Renamed' } }))
    expect((await findSurveyBySlug(server.db(), 'audited'))!.name).toBe('Audited')
    expect((await admin('/surveys/audited', { method: 'PATCH', body: { name: 'Renamed' } })).status).toBe(200)
    // The first row: the token this file uses, audited when it was made.
    expect(server.db().select().from(auditLog).all().map(row => row.action)).toEqual(['token.create', 'survey.create', 'survey.update'])
  })

  it('a respondent create, patch or token rotation whose audit row cannot be written changes nothing', async () => {
    await withAuditLogBroken(() => admin('/surveys/audited/respondents', { method: 'POST', body: { username: 'dana', name: 'Dana' } }))
    expect(server.db().select().from(respondents).all()).toEqual([])
    const created = await admin('/surveys/audited/respondents', { method: 'POST', body: { username: 'dana', name: 'Dana' } })
    expect(created.status).toBe(201)
    const { userId, authToken } = created.body as { userId: string, authToken: string }

    await withAuditLogBroken(() => admin(`/surveys/audited/respondents/${userId}`, { method: 'PATCH', body: { name: 'Dee', disabled: true } }))
    expect(server.db().select().from(users).where(eq(users.id, Number(userId))).get()).toMatchObject({ name: 'Dana', disabled: false })

    await withAuditLogBroken(() => admin(`/surveys/audited/respondents/${userId}/auth-token`, { method: 'POST' }))
    expect(server.db().select().from(respondents).get()!.authToken).toBe(authToken)

    const before = auditCount()
    expect((await admin(`/surveys/audited/respondents/${userId}`, { method: 'PATCH', body: { disabled: true } })).status).toBe(200)
    expect((await admin(`/surveys/audited/respondents/${userId}/auth-token`, { method: 'POST' })).status).toBe(200)
    expect(server.db().select().from(auditLog).all().slice(before).map(row => row.action)).toEqual(['respondent.disable', 'respondent.rotate-auth-token'])
  })

  it('a delivery resend whose audit row cannot be written leaves the delivery as it was', async () => {
    const survey = (await findSurveyBySlug(server.db(), 'audited'))!
    const event = server.db().insert(surveyEvents).values({ type: 'survey.respondent.created', surveyId: survey.id, userId: 1, payload: '{}' }).returning().get()
    server.db().insert(webhookDeliveries).values({ id: 'msg_audited', eventId: event.id, surveyId: survey.id, userId: 1, url: 'https://hooks.example.org/x', status: 'failed', attempts: 8, nextAttemptAt: new Date() }).run()

    await withAuditLogBroken(() => admin('/deliveries/msg_audited/resend', { method: 'POST' }))
    expect(server.db().select().from(webhookDeliveries).get()).toMatchObject({ status: 'failed', attempts: 8 })
  })

  it('a survey delete whose audit row cannot be written deletes nothing', async () => {
    await withAuditLogBroken(() => admin('/surveys/audited?force=true', { method: 'DELETE' }))
    expect(await findSurveyBySlug(server.db(), 'audited')).toBeDefined()
    expect(server.db().select().from(respondents).all()).toHaveLength(1)

    const before = auditCount()
    expect((await admin('/surveys/audited?force=true', { method: 'DELETE' })).body).toEqual({ deleted: 'audited', respondentsRemoved: 1 })
    expect(server.db().select().from(auditLog).all().slice(before)).toEqual([expect.objectContaining({ action: 'survey.delete', target: 'audited', details: { force: true, respondentsRemoved: 1 } })])
  })
})
