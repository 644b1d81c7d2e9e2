import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '#server/database'
import { adminAccounts, auditLog, personalAccessTokens, respondents, surveyEvents, surveys, users, webhookDeliveries } from '#server/database/schema'
import { createAccessToken, revokeAccessToken } from '#server/services/access-tokens'
import { createAdminAccount, issuePasswordLink, updateAdminAccount } from '#server/services/admin-accounts'
import type { Actor } from '#server/services/audit'
import { createRespondent, rotateAuthToken, updateRespondent } from '#server/services/respondent-admin'
import { createOrUpdateFromPartner } from '#server/services/respondents'
import { queueTestEvent } from '#server/services/notifications'
import { deleteSurvey, findSurveyBySlug, rotateSurveySecret, saveSurveyAsAdmin, upsertSurveys } from '#server/services/surveys'
import { resendDelivery } from '#server/services/webhooks'

const ACTOR: Actor = { tokenId: 7, name: 'token:7:tester' }

async function setUp() {
  const db = openDatabase(':memory:').db
  await upsertSurveys(db, { slug: 'study', name: 'Study', supportEmail: 'team@example.org', state: 'active', allowGenUsers: true, genUserKey: 'k'.repeat(40) })
  return { db, survey: (await findSurveyBySlug(db, 'study'))! }
}

const auditRows = (db: Db) => db.select().from(auditLog).all()

/** From now on, every write to `table` fails, as a full disk or a broken table would. */
function breakWrites(db: Db, table: string, operation: 'INSERT' | 'UPDATE' | 'DELETE' = 'INSERT') {
  db.run(sql.raw(`CREATE TRIGGER broken_${table}_${operation.toLowerCase()} BEFORE ${operation} ON ${table} BEGIN SELECT RAISE(ABORT, '${table} is broken'); END`))
}

describe('an admin change and its audit row commit together', () => {
  it('survey delete: audited once; if the audit row cannot be written nothing is deleted; a refused delete leaves no row', async () => {
    const { db, survey } = await setUp()
    await createOrUpdateFromPartner(db, survey, { username: 'someone' })
    await expect(deleteSurvey(db, survey, false, ACTOR)).rejects.toThrow(/respondent/)
    expect(auditRows(db)).toEqual([])

    breakWrites(db, 'audit_log')
    await expect(deleteSurvey(db, survey, true, ACTOR)).rejects.toThrow(/audit_log is broken/)
    expect(await findSurveyBySlug(db, 'study')).toBeDefined()
    expect(db.select().from(respondents).all()).toHaveLength(1)

    db.run(sql`DROP TRIGGER broken_audit_log_insert`)
    expect(await deleteSurvey(db, survey, true, ACTOR)).toBe(1)
    expect(auditRows(db)).toEqual([expect.objectContaining({ actor: ACTOR.name, tokenId: 7, action: 'survey.delete', target: 'study', details: { force: true, respondentsRemoved: 1 } })])
  })

  it('respondent create: audited once; if the audit row cannot be written no respondent is created; a failed insert leaves no row', async () => {
    const { db, survey } = await setUp()
    breakWrites(db, 'audit_log')
    await expect(createRespondent(db, survey, { username: 'alice' }, ACTOR)).rejects.toThrow(/audit_log is broken/)
    expect(db.select().from(respondents).all()).toEqual([])
    expect(db.select().from(users).all()).toEqual([])
    db.run(sql`DROP TRIGGER broken_audit_log_insert`)

    breakWrites(db, 'respondents')
    await expect(createRespondent(db, survey, { username: 'alice' }, ACTOR)).rejects.toThrow(/respondents is broken/)
    expect(auditRows(db)).toEqual([])
    db.run(sql`DROP TRIGGER broken_respondents_insert`)

    const created = await createRespondent(db, survey, { username: 'alice' }, ACTOR)
    expect(auditRows(db)).toEqual([expect.objectContaining({ action: 'respondent.create', target: `study/${created.userId}`, details: { username: 'alice' } })])
  })

  it('respondent patch: audited once (update, disable, enable); if the audit row cannot be written nothing changes; a failed update leaves no row', async () => {
    const { db, survey } = await setUp()
    const created = await createRespondent(db, survey, { username: 'bob', name: 'Bob' }, ACTOR)
    const userId = Number(created.userId)
    db.delete(auditLog).run()

    breakWrites(db, 'audit_log')
    await expect(updateRespondent(db, survey, userId, { name: 'Robert', disabled: true }, ACTOR)).rejects.toThrow(/audit_log is broken/)
    expect(db.select().from(users).all()).toEqual([expect.objectContaining({ name: 'Bob', disabled: false })])
    db.run(sql`DROP TRIGGER broken_audit_log_insert`)

    breakWrites(db, 'users', 'UPDATE')
    await expect(updateRespondent(db, survey, userId, { name: 'Robert' }, ACTOR)).rejects.toThrow(/users is broken/)
    expect(auditRows(db)).toEqual([])
    db.run(sql`DROP TRIGGER broken_users_update`)

    await updateRespondent(db, survey, userId, { name: 'Robert' }, ACTOR)
    await updateRespondent(db, survey, userId, { disabled: true }, ACTOR)
    await updateRespondent(db, survey, userId, { disabled: false }, ACTOR)
    expect(auditRows(db).map(row => [row.action, row.target, row.details])).toEqual([
      ['respondent.update', `study/${userId}`, { fields: ['name'], passwordChanged: false }],
      ['respondent.disable', `study/${userId}`, { fields: ['disabled'], passwordChanged: false }],
      ['respondent.enable', `study/${userId}`, { fields: ['disabled'], passwordChanged: false }],
    ])
  })

  it('auth-token rotation: audited once; if the audit row cannot be written the old token stays', async () => {
    const { db, survey } = await setUp()
    const created = await createRespondent(db, survey, { username: 'carol' }, ACTOR)
    db.delete(auditLog).run()

    breakWrites(db, 'audit_log')
    await expect(rotateAuthToken(db, survey, Number(created.userId), ACTOR)).rejects.toThrow(/audit_log is broken/)
    expect(db.select().from(respondents).get()!.authToken).toBe(created.authToken)
    db.run(sql`DROP TRIGGER broken_audit_log_insert`)

    const rotated = await rotateAuthToken(db, survey, Number(created.userId), ACTOR)
    expect(rotated.authToken).not.toBe(created.authToken)
    expect(auditRows(db)).toEqual([expect.objectContaining({ action: 'respondent.rotate-auth-token', target: `study/${created.userId}` })])
  })

  it('delivery resend: audited once; if the audit row cannot be written the delivery stays failed; an unknown delivery leaves no row', async () => {
    const { db, survey } = await setUp()
    const event = db.insert(surveyEvents).values({ type: 'survey.respondent.created', surveyId: survey.id, userId: 1, payload: '{}' }).returning().get()
    db.insert(webhookDeliveries).values({ id: 'msg_resend', eventId: event.id, surveyId: survey.id, userId: 1, url: 'https://hooks.example.org/x', status: 'failed', attempts: 8, nextAttemptAt: new Date() }).run()

    await expect(resendDelivery(db, 'msg_unknown', ACTOR)).rejects.toThrow(/No webhook delivery/)
    expect(auditRows(db)).toEqual([])

    breakWrites(db, 'audit_log')
    await expect(resendDelivery(db, 'msg_resend', ACTOR)).rejects.toThrow(/audit_log is broken/)
    expect(db.select().from(webhookDeliveries).get()).toMatchObject({ status: 'failed', attempts: 8 })
    db.run(sql`DROP TRIGGER broken_audit_log_insert`)

    await resendDelivery(db, 'msg_resend', ACTOR)
    expect(db.select().from(webhookDeliveries).get()).toMatchObject({ status: 'pending', attempts: 0 })
    expect(auditRows(db)).toEqual([expect.objectContaining({ action: 'delivery.resend', target: 'msg_resend' })])
  })

  it('survey create and update (admin API and CLI): audited once each; if the audit row cannot be written nothing is saved', async () => {
    const { db } = await setUp()
    breakWrites(db, 'audit_log')
    await expect(saveSurveyAsAdmin(db, ACTOR, { slug: 'new', name: 'New', supportEmail: 'a@example.org' })).rejects.toThrow(/audit_log is broken/)
    expect(await findSurveyBySlug(db, 'new')).toBeUndefined()
    await expect(upsertSurveys(db, [{ slug: 'other', name: 'Other', supportEmail: 'a@example.org' }, { slug: 'study', name: 'Renamed' }], { audit: { actor: ACTOR, details: () => ({}) } })).rejects.toThrow(/audit_log is broken/)
    expect(await findSurveyBySlug(db, 'other')).toBeUndefined()
    expect((await findSurveyBySlug(db, 'study'))!.name).toBe('Study')
    db.run(sql`DROP TRIGGER broken_audit_log_insert`)

    const created = await saveSurveyAsAdmin(db, ACTOR, { slug: 'new', name: 'New', supportEmail: 'a@example.org', genUserKey: 'g'.repeat(40) })
    expect(created).toMatchObject({ slug: 'new', genUserKeySet: true })
    await saveSurveyAsAdmin(db, ACTOR, { name: 'Newer', webhookSecret: null }, { input: { slug: 'new', name: 'Newer', webhookSecret: null } })
    expect(auditRows(db).map(row => [row.action, row.target, row.details])).toEqual([
      ['survey.create', 'new', { fields: ['slug', 'name', 'supportEmail'] }],
      ['survey.update', 'new', { fields: ['name'], secretsChanged: ['webhookSecret'] }],
    ])
    expect(JSON.stringify(auditRows(db))).not.toContain('g'.repeat(40))
    expect(db.select().from(surveys).all()).toHaveLength(2)
  })

  it('survey secret and test event (console): audited once, with the survey and never the secret; if the row cannot be written nothing changes', async () => {
    const { db, survey } = await setUp()
    const before = survey.genUserKey
    breakWrites(db, 'audit_log')
    await expect(rotateSurveySecret(db, survey, 'jwt', ACTOR)).rejects.toThrow(/audit_log is broken/)
    expect((await findSurveyBySlug(db, 'study'))!.genUserKey).toBe(before)
    const withTarget = { ...survey, notifications: [{ type: 'survey.session.submitted' as const, url: 'https://hooks.example.org/x' }] }
    await expect(queueTestEvent(db, withTarget, ACTOR)).rejects.toThrow(/audit_log is broken/)
    expect(db.select().from(webhookDeliveries).all()).toEqual([])
    expect(db.select().from(surveyEvents).all()).toEqual([])
    db.run(sql`DROP TRIGGER broken_audit_log_insert`)

    const { secret } = await rotateSurveySecret(db, survey, 'jwt', ACTOR)
    expect((await findSurveyBySlug(db, 'study'))!.genUserKey).toBe(secret)
    const { deliveries } = await queueTestEvent(db, withTarget, ACTOR)
    expect(auditRows(db).map(row => [row.action, row.target, row.survey, row.details])).toEqual([
      ['survey.rotate-secret', 'study', 'study', { kind: 'jwt' }],
      ['survey.test-notifications', 'study', 'study', { deliveries: deliveries.map(delivery => delivery.id) }],
    ])
    expect(JSON.stringify(auditRows(db))).not.toContain(secret)
  })

  it('access tokens and console accounts (console and CLI): audited once each; if the row cannot be written nothing changes', async () => {
    const { db } = await setUp()
    breakWrites(db, 'audit_log')
    await expect(createAccessToken(db, { name: 'portal', scopes: ['surveys:read'] }, ACTOR)).rejects.toThrow(/audit_log is broken/)
    const owner = { email: 'a@example.org', name: 'A', role: 'owner' }
    await expect(createAdminAccount(db, owner, { actor: ACTOR })).rejects.toThrow(/audit_log is broken/)
    expect(db.select().from(personalAccessTokens).all()).toEqual([])
    expect(db.select().from(adminAccounts).all()).toEqual([])
    db.run(sql`DROP TRIGGER broken_audit_log_insert`)

    const token = await createAccessToken(db, { name: 'portal', scopes: ['surveys:read'] }, ACTOR)
    const { account: first } = await createAdminAccount(db, owner, { actor: ACTOR })
    const { account: second } = await createAdminAccount(db, { email: 'b@example.org', name: 'B', role: 'owner' }, { actor: ACTOR })
    db.delete(auditLog).run()
    const accountsBefore = db.select().from(adminAccounts).all()

    breakWrites(db, 'audit_log')
    await expect(revokeAccessToken(db, token.id, ACTOR)).rejects.toThrow(/audit_log is broken/)
    await expect(updateAdminAccount(db, second.id, { disabled: true }, ACTOR)).rejects.toThrow(/audit_log is broken/)
    await expect(issuePasswordLink(db, first.id, ACTOR)).rejects.toThrow(/audit_log is broken/)
    expect(db.select().from(personalAccessTokens).get()!.revokedAt).toBeNull()
    expect(db.select().from(adminAccounts).all()).toEqual(accountsBefore)
    db.run(sql`DROP TRIGGER broken_audit_log_insert`)

    await revokeAccessToken(db, token.id, ACTOR)
    await revokeAccessToken(db, token.id, ACTOR)
    await updateAdminAccount(db, second.id, { disabled: true }, ACTOR)
    await expect(updateAdminAccount(db, first.id, { role: 'staff' }, ACTOR)).rejects.toThrow(/last enabled owner/)
    const link = await issuePasswordLink(db, first.id, ACTOR)
    expect(auditRows(db).map(row => [row.action, row.target, row.survey])).toEqual([
      ['token.revoke', `token:${token.id}`, null],
      ['admin.disable', `admin:${second.id}`, null],
      ['admin.password-link', `admin:${first.id}`, null],
    ])
    expect(JSON.stringify(auditRows(db))).not.toContain(link)
    expect(db.select().from(adminAccounts).all().map(row => row.role)).toEqual(['owner', 'owner'])
  })
})
