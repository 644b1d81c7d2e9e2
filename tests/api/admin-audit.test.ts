import { asc, eq, sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_SCOPES, createAccessToken } from '#server/services/access-tokens'
import { findSurveyBySlug } from '#server/services/surveys'
import { request, useTestServer } from '../support/server'
import { execute, schema, testEngine } from '../support/engine'

const { auditLog, respondents, surveyEvents, users, webhookDeliveries } = schema

const server = await useTestServer()
let token: string

beforeAll(async () => {
  token = (await createAccessToken(server.db(), { name: 'auditor', scopes: [...ADMIN_SCOPES] })).token
})

const admin = (path: string, init: { method?: string, body?: unknown } = {}) =>
  request(`/api/admin${path}`, { ...init, headers: { authorization: `Bearer ${token}` } })
const auditRows = () => server.db().select().from(auditLog).orderBy(asc(auditLog.id))
const auditCount = async () => (await auditRows()).length

// A trigger that refuses every audit row, in each engine's dialect.
const breakAuditLog = testEngine === 'postgres'
  ? [sql`CREATE FUNCTION broken_audit_log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit log is broken'; END $$`, sql`CREATE TRIGGER broken_audit_log BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION broken_audit_log()`]
  : [sql`CREATE TRIGGER broken_audit_log BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is broken'); END`]
const repairAuditLog = testEngine === 'postgres'
  ? [sql`DROP TRIGGER broken_audit_log ON audit_log`, sql`DROP FUNCTION broken_audit_log()`]
  : [sql`DROP TRIGGER broken_audit_log`]
async function runAll(statements: ReturnType<typeof sql>[]) {
  for (const statement of statements) await execute(server.db(), statement)
}

/**
 * Runs `change` while the audit log refuses every row (a trigger, as a full disk or a broken table would):
 * it must fail as a plain 500 and leave no audit row. Then runs it again with the log working: one row.
 */
async function withAuditLogBroken(change: () => Promise<{ status: number, body: unknown }>) {
  const before = await auditCount()
  await runAll(breakAuditLog)
  try {
    const refused = await change()
    expect(refused.status).toBe(500)
    expect(refused.body).toEqual({ statusCode: 500, message: 'Internal server error.' })
  }
  finally {
    await runAll(repairAuditLog)
  }
  expect(await auditCount()).toBe(before)
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
    expect((await auditRows()).map(row => row.action)).toEqual(['token.create', 'survey.create', 'survey.update'])
  })

  it('a respondent create, patch or token rotation whose audit row cannot be written changes nothing', async () => {
    await withAuditLogBroken(() => admin('/surveys/audited/respondents', { method: 'POST', body: { username: 'dana', name: 'Dana' } }))
    expect(await server.db().select().from(respondents)).toEqual([])
    const created = await admin('/surveys/audited/respondents', { method: 'POST', body: { username: 'dana', name: 'Dana' } })
    expect(created.status).toBe(201)
    const { userId, authToken } = created.body as { userId: string, authToken: string }

    await withAuditLogBroken(() => admin(`/surveys/audited/respondents/${userId}`, { method: 'PATCH', body: { name: 'Dee', disabled: true } }))
    expect((await server.db().select().from(users).where(eq(users.id, Number(userId))))[0]).toMatchObject({ name: 'Dana', disabled: false })

    await withAuditLogBroken(() => admin(`/surveys/audited/respondents/${userId}/auth-token`, { method: 'POST' }))
    expect((await server.db().select().from(respondents)).map(row => row.authToken)).toEqual([authToken])

    const before = await auditCount()
    expect((await admin(`/surveys/audited/respondents/${userId}`, { method: 'PATCH', body: { disabled: true } })).status).toBe(200)
    expect((await admin(`/surveys/audited/respondents/${userId}/auth-token`, { method: 'POST' })).status).toBe(200)
    expect((await auditRows()).slice(before).map(row => row.action)).toEqual(['respondent.disable', 'respondent.rotate-auth-token'])
  })

  it('a delivery resend whose audit row cannot be written leaves the delivery as it was', async () => {
    const survey = (await findSurveyBySlug(server.db(), 'audited'))!
    const [event] = await server.db().insert(surveyEvents).values({ type: 'survey.respondent.created', surveyId: survey.id, userId: 1, payload: '{}' }).returning()
    await server.db().insert(webhookDeliveries).values({ id: 'msg_audited', eventId: event!.id, surveyId: survey.id, userId: 1, url: 'https://hooks.example.org/x', status: 'failed', attempts: 8, nextAttemptAt: new Date() })

    await withAuditLogBroken(() => admin('/deliveries/msg_audited/resend', { method: 'POST' }))
    expect(await server.db().select().from(webhookDeliveries)).toEqual([expect.objectContaining({ status: 'failed', attempts: 8 })])
  })

  it('a survey delete whose audit row cannot be written deletes nothing', async () => {
    await withAuditLogBroken(() => admin('/surveys/audited?force=true', { method: 'DELETE' }))
    expect(await findSurveyBySlug(server.db(), 'audited')).toBeDefined()
    expect(await server.db().select().from(respondents)).toHaveLength(1)

    const before = await auditCount()
    expect((await admin('/surveys/audited?force=true', { method: 'DELETE' })).body).toEqual({ deleted: 'audited', respondentsRemoved: 1 })
    expect((await auditRows()).slice(before)).toEqual([expect.objectContaining({ action: 'survey.delete', target: 'audited', details: { force: true, respondentsRemoved: 1 } })])
  })
})
