import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { asc, count, eq } from 'drizzle-orm'
import { createOrUpdateFromPartner } from '#server/services/respondents'
import { findSurveyBySlug } from '#server/services/surveys'
import { runCli } from '../support/cli'
import { accessTokenSecret } from '../support/tokens'
import { request, useTestServer } from '../support/server'
import { schema } from '../support/engine'

const { auditLog, respondents, surveyEvents, surveys, webhookDeliveries } = schema

const server = await useTestServer()
const files = mkdtempSync(join(tmpdir(), 'gateway-cli-'))

function surveyFile(name: string, content: unknown) {
  const path = join(files, name)
  writeFileSync(path, JSON.stringify(content))
  return path
}

describe('npm run cli -- surveys:upsert', () => {
  it('creates a survey that the API then serves as its public entry', async () => {
    const file = surveyFile('one.json', {
      slug: 'Cohort-2026',
      name: 'Cohort 2026 recall',
      localeId: 'en_GB',
      supportEmail: 'cohort@example.org',
      state: 'active',
      allowGenUsers: true,
      authCaptcha: true,
      authModes: ['username'],
    })
    const result = runCli(['surveys:upsert', file], server.databasePath)
    expect(result.status).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ result: 'created', survey: { slug: 'Cohort-2026', genUserKeySet: false } })

    const response = await request('/api/surveys/cohort-2026')
    expect(response.status).toBe(200)
    expect(response.body).toEqual({
      id: expect.stringMatching(/^\d+$/),
      slug: 'Cohort-2026',
      name: 'Cohort 2026 recall',
      localeId: 'en_GB',
      originatingUrl: null,
      supportEmail: 'cohort@example.org',
      openAccess: true,
      authCaptcha: true,
      authModes: ['username'],
    })
  })

  it('updates by slug ignoring case and keeps omitted fields; never prints the secret', async () => {
    const secret = 's3cret-'.repeat(6)
    const result = runCli(['surveys:upsert', surveyFile('update.json', [{ slug: 'COHORT-2026', name: 'Cohort 2026 (renamed)', genUserKey: secret }])], server.databasePath)
    expect(result.status).toBe(0)
    expect(result.stdout).not.toContain(secret)
    expect(JSON.parse(result.stdout)[0]).toMatchObject({ result: 'updated', survey: { slug: 'Cohort-2026', name: 'Cohort 2026 (renamed)', supportEmail: 'cohort@example.org', genUserKeySet: true } })

    const entry = await request('/api/surveys/Cohort-2026')
    expect(entry.body).toMatchObject({ name: 'Cohort 2026 (renamed)', openAccess: false })
    const list = await request<unknown[]>('/api/surveys')
    expect(JSON.stringify(list.body)).not.toContain('Cohort-2026')

    const listed = runCli(['surveys:list'], server.databasePath)
    expect(listed.status).toBe(0)
    expect(listed.stdout).toContain('Cohort-2026')
    expect(listed.stdout).toContain('set')
    expect(listed.stdout).not.toContain(secret)
  })

  it('rejects a bad survey file with a message per field, exit code 1, and writes nothing', async () => {
    const surveyCount = async () => (await server.db().select({ n: count() }).from(surveys))[0]!.n
    const before = await surveyCount()
    const result = runCli(['surveys:upsert', surveyFile('bad.json', [
      { slug: 'Cohort-2026', name: 'Should not be applied' },
      { slug: 'bad slug!', name: 'x', supportEmail: 'x@example.org' },
      { slug: 'short-secret', name: 7, supportEmail: 'not-an-email', genUserKey: 'too-short', allowGenUsers: 'yes', state: 'open' },
    ])], server.databasePath)
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('1.slug')
    expect(result.stderr).toContain('2.name')
    expect(result.stderr).toContain('2.supportEmail')
    expect(result.stderr).toMatch(/2\.genUserKey: must be at least 32 characters/)
    expect(result.stderr).toContain('2.allowGenUsers')
    expect(result.stderr).toContain('2.state')
    expect(await surveyCount()).toBe(before)
    expect((await findSurveyBySlug(server.db(), 'Cohort-2026'))!.name).toBe('Cohort 2026 (renamed)')
  })

  it('rejects a file that is not JSON and an unknown command', async () => {
    const path = join(files, 'broken.json')
    writeFileSync(path, '{ not json')
    const broken = runCli(['surveys:upsert', path], server.databasePath)
    expect(broken.status).toBe(1)
    expect(broken.stderr).toContain('Cannot read')
    const unknown = runCli(['surveys:explode'], server.databasePath)
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toContain('Unknown command')
  })

  it('keeps the data across a server restart', async () => {
    await server.restart()
    const response = await request('/api/surveys/cohort-2026')
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ name: 'Cohort 2026 (renamed)' })
  })
})

describe('npm run cli -- audits what reveals or changes secrets', () => {
  const GEN_USER_KEY = 'cli-audit-partner-key-0123456789-abcdefghij'
  const WEBHOOK_SECRET = `whsec_${Buffer.from('cli-audit-webhook-secret-0123456789').toString('base64')}`
  const auditRows = () => server.db().select().from(auditLog).orderBy(asc(auditLog.id))
  const newRows = async (before: number) => (await auditRows()).slice(before)

  it('surveys:upsert, tokens:create, tokens:revoke, respondents:export and deliveries:resend each write an audit row as "cli", without the secret', async () => {
    const db = server.db()
    let before = (await auditRows()).length
    const upsert = runCli(['surveys:upsert', surveyFile('audited.json', [{ slug: 'audited', name: 'Audited', supportEmail: 'a@example.org', state: 'active', genUserKey: GEN_USER_KEY, webhookSecret: WEBHOOK_SECRET }])], server.databasePath)
    expect(upsert.status).toBe(0)
    expect(await newRows(before)).toEqual([expect.objectContaining({ actor: 'cli', tokenId: null, action: 'survey.create', target: 'audited', details: expect.objectContaining({ secretsChanged: ['genUserKey', 'webhookSecret'] }) })])

    before = (await auditRows()).length
    const created = runCli(['tokens:create', '--name', 'audited-token', '--scopes', 'surveys:read'], server.databasePath)
    expect(created.status).toBe(0)
    const token = JSON.parse(created.stdout) as { id: number, token: string }
    expect(runCli(['tokens:revoke', String(token.id)], server.databasePath).status).toBe(0)
    expect(await newRows(before)).toEqual([
      expect.objectContaining({ actor: 'cli', action: 'token.create', target: `token:${token.id}`, details: expect.objectContaining({ name: 'audited-token', scopes: ['surveys:read'] }) }),
      expect.objectContaining({ actor: 'cli', action: 'token.revoke', target: `token:${token.id}` }),
    ])

    const survey = (await findSurveyBySlug(db, 'audited'))!
    const respondent = await createOrUpdateFromPartner(db, survey, { username: 'audited-respondent' })
    before = (await auditRows()).length
    const exported = runCli(['respondents:export', 'audited'], server.databasePath)
    expect(exported.status).toBe(0)
    expect(exported.stdout).toContain(respondent.authToken)
    expect(await newRows(before)).toEqual([expect.objectContaining({ actor: 'cli', action: 'respondent.export-auth-links', target: 'audited', details: { respondents: 1 } })])

    const [event] = await db.insert(surveyEvents).values({ type: 'survey.respondent.created', surveyId: survey.id, userId: Number(respondent.userId), payload: '{}' }).returning()
    await db.insert(webhookDeliveries).values({ id: 'msg_cli_audit', eventId: event!.id, surveyId: survey.id, userId: Number(respondent.userId), url: 'https://hooks.example.org/x', status: 'failed', attempts: 3, nextAttemptAt: new Date() })
    before = (await auditRows()).length
    expect(runCli(['deliveries:resend', 'msg_cli_audit'], server.databasePath).status).toBe(0)
    expect(await newRows(before)).toEqual([expect.objectContaining({ actor: 'cli', action: 'delivery.resend', target: 'msg_cli_audit' })])

    const everything = JSON.stringify(await auditRows())
    const secrets = [GEN_USER_KEY, WEBHOOK_SECRET, token.token, accessTokenSecret(token.token), respondent.authToken]
    for (const secret of secrets) expect(everything).not.toContain(secret)
    const listed = runCli(['audit:list', '--limit', '100'], server.databasePath)
    expect(listed.stdout).toContain('respondent.export-auth-links')
    expect(listed.stdout).toContain('token.revoke')
  })

  it('respondents:rotate-token prints a new auth token once, ends the old link, and is audited without it', async () => {
    const db = server.db()
    const survey = (await findSurveyBySlug(db, 'audited'))!
    const respondent = await createOrUpdateFromPartner(db, survey, { username: 'rotated-respondent' })
    const signedIn = await request('/api/auth/login/token', { method: 'POST', body: { token: respondent.authToken } })
    expect(signedIn.status).toBe(200)
    const refreshCookie = signedIn.headers.getSetCookie().find(value => value.startsWith('rg_refresh='))!.split(';')[0]!
    const before = (await auditRows()).length
    const rotated = runCli(['respondents:rotate-token', 'AUDITED', respondent.userId], server.databasePath)
    expect(rotated.status).toBe(0)
    const printed = JSON.parse(rotated.stdout) as { userId: string, authToken: string }
    expect(printed).toMatchObject({ userId: respondent.userId, authToken: expect.any(String) })
    expect(printed.authToken).not.toBe(respondent.authToken)
    const [row] = await db.select().from(respondents).where(eq(respondents.userId, Number(respondent.userId)))
    expect(row?.authToken).toBe(printed.authToken)
    expect((await request('/api/auth/login/token', { method: 'POST', body: { token: respondent.authToken } })).status).toBe(401)
    // The session signed in with the old link ends with it.
    expect((await request('/api/auth/refresh', { method: 'POST', headers: { cookie: refreshCookie } })).status).toBe(401)
    expect((await request('/api/auth/login/token', { method: 'POST', body: { token: printed.authToken } })).status).toBe(200)
    expect(await newRows(before)).toEqual([expect.objectContaining({ actor: 'cli', tokenId: null, action: 'respondent.rotate-auth-token', target: `audited/${respondent.userId}` })])
    expect(JSON.stringify(await auditRows())).not.toContain(printed.authToken)

    for (const args of [['audited'], ['audited', 'abc'], ['no-such-survey', '1'], ['audited', '999999']]) {
      const refused = runCli(['respondents:rotate-token', ...args], server.databasePath)
      expect(refused.status, args.join(' ')).toBe(1)
      expect(refused.stderr, args.join(' ')).toContain('Error:')
    }
    expect(await newRows(before)).toHaveLength(1)
    expect(runCli(['help'], server.databasePath).stdout).toContain('respondents:rotate-token <slug> <userId>')
  })
})
