import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPostgres, type PostgresHandle } from '#server/database/postgres-engine'
import type { SurveyRow } from '#server/database/schema'
import { CLI_ACTOR } from '#server/services/audit'
import { createOrUpdateFromPartner } from '#server/services/respondents'
import { createStatementCounts } from '#server/services/respondents-postgres'
import { deleteSurvey, upsertSurvey } from '#server/services/surveys'
import { root } from '../../scripts/ensure-build.mjs'
import { dropDatabaseOnceClosed, postgresForUnitTest, withDatabase } from '../support/engine'

const adminUrl = await postgresForUnitTest('the test of create-users sharing a statement')

const HOOK_URL = 'https://partner.example.org/hooks/gateway'
function outcome<T>(promise: Promise<T>) {
  return promise.then(value => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }))
}

// On PostgreSQL, partner create-users that arrive while earlier ones are running share one statement
// (services/respondents-postgres.ts). Each must still get its own answer, rows and event, exactly as if
// it had run alone.
describe.skipIf(adminUrl === null)('partner create-users sharing one statement on PostgreSQL', () => {
  const database = `rg_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl ?? undefined })
  let handle: PostgresHandle
  let client: pg.Client
  let survey: SurveyRow
  let singleUse: SurveyRow

  beforeAll(async () => {
    await admin.connect()
    await admin.query(`CREATE DATABASE ${database}`)
    const url = withDatabase(adminUrl!, database)
    handle = openPostgres(url, { poolSize: 10, migrationsFolder: join(root, 'drizzle', 'postgres') })
    await handle.ready
    client = new pg.Client({ connectionString: url })
    await client.connect()
    const common = { supportEmail: 'team@example.org', state: 'active', allowGenUsers: true, genUserKey: randomBytes(30).toString('base64url') }
    survey = (await upsertSurvey(handle.db, {
      ...common,
      slug: 'together',
      name: 'Together',
      userCustomFields: true,
      userPersonalIdentifiers: true,
      webhookSecret: `whsec_${randomBytes(32).toString('base64')}`,
      notifications: [{ type: 'survey.respondent.created', url: HOOK_URL }],
    })).survey
    singleUse = (await upsertSurvey(handle.db, { ...common, slug: 'once', name: 'Once', jwtPolicy: { singleUse: true } })).survey
  })

  afterAll(async () => {
    await client?.end()
    await handle?.close()
    await dropDatabaseOnceClosed(admin, database).catch(() => undefined)
    await admin.end()
  })

  it('answers each of many at once with its own respondent, fields and event, in fewer statements than creations', async () => {
    const before = createStatementCounts(handle.db)
    const usernames = Array.from({ length: 40 }, (_, i) => `member-${i}`)
    const created = await Promise.all(usernames.map(username => createOrUpdateFromPartner(handle.db, survey, {
      username,
      name: `Name of ${username}`,
      customFields: [{ name: 'cohort', value: `cohort of ${username}` }, { name: 'arm', value: username.length % 2 ? 'a' : 'b', public: true }],
    })))
    const after = createStatementCounts(handle.db)
    expect(after.items - before.items).toBe(40)
    expect(after.statements - before.statements).toBeLessThan(40)

    expect(new Set(created.map(answer => answer.userId)).size).toBe(40)
    created.forEach((answer, i) => {
      expect(answer.username).toBe(usernames[i])
      expect(answer.name).toBe(`Name of ${usernames[i]}`)
      expect(answer.customFields).toEqual([
        { name: 'arm', value: usernames[i]!.length % 2 ? 'a' : 'b', public: true },
        { name: 'cohort', value: `cohort of ${usernames[i]}`, public: false },
      ])
    })

    const { rows } = await client.query<{ user_id: number, username: string, name: string, cohort: string, events: number, payload: string, deliveries: number }>(`
      SELECT r.user_id, r.username, u.name,
        (SELECT value FROM user_custom_fields f WHERE f.user_id = r.user_id AND f.name = 'cohort') AS cohort,
        (SELECT count(*)::integer FROM survey_events e WHERE e.user_id = r.user_id) AS events,
        (SELECT payload FROM survey_events e WHERE e.user_id = r.user_id) AS payload,
        (SELECT count(*)::integer FROM webhook_deliveries d WHERE d.user_id = r.user_id AND d.url = $2) AS deliveries
      FROM respondents r JOIN users u ON u.id = r.user_id WHERE r.survey_id = $1 ORDER BY r.username`, [survey.id, HOOK_URL])
    expect(rows).toHaveLength(40)
    for (const row of rows) {
      const answer = created.find(each => each.username === row.username)!
      expect(String(row.user_id)).toBe(answer.userId)
      expect(row).toMatchObject({ name: `Name of ${row.username}`, cohort: `cohort of ${row.username}`, events: 1, deliveries: 1 })
      expect(JSON.parse(row.payload)).toEqual({ type: 'survey.respondent.created', surveyId: String(survey.id), userId: answer.userId, username: row.username })
    }
    const { rows: [orphans] } = await client.query<{ count: number }>('SELECT count(*)::integer AS count FROM users u WHERE NOT EXISTS (SELECT 1 FROM respondents r WHERE r.user_id = u.id)')
    expect(orphans!.count).toBe(0)
  })

  it('one username asked for many times at once is one respondent, the same answer to every call', async () => {
    // Two creations run first, so that the copies wait and share the next statement.
    const [, , ...answers] = await Promise.all([
      ...['ahead-1', 'ahead-2'].map(username => createOrUpdateFromPartner(handle.db, survey, { username })),
      ...Array.from({ length: 12 }, (_, i) => createOrUpdateFromPartner(handle.db, survey, { username: i % 2 ? 'twice' : 'thrice' })),
    ])
    for (const username of ['twice', 'thrice']) {
      const mine = answers.filter(answer => answer.username === username)
      expect(mine).toHaveLength(6)
      expect(new Set(mine.map(answer => `${answer.userId} ${answer.authToken}`)).size).toBe(1)
    }
    const { rows } = await client.query<{ username: string, events: number }>(`
      SELECT r.username, (SELECT count(*)::integer FROM survey_events e WHERE e.user_id = r.user_id) AS events
      FROM respondents r WHERE r.survey_id = $1 AND r.username IN ('twice', 'thrice') ORDER BY r.username`, [survey.id])
    expect(rows).toEqual([{ username: 'thrice', events: 1 }, { username: 'twice', events: 1 }])
  })

  it('a single-use token sent many times at once is accepted once, for one username or several', async () => {
    const expiresAt = new Date(Date.now() + 60_000)
    const jti = (value: string) => ({ jti: { value, expiresAt } })
    // Two creations run first, so that the copies of each token wait, and would share the next statement.
    const [, , ...sameUsername] = await Promise.all([
      ...['ahead-1', 'ahead-2'].map(username => outcome(createOrUpdateFromPartner(handle.db, singleUse, { username }, jti(username)))),
      ...Array.from({ length: 8 }, () => outcome(createOrUpdateFromPartner(handle.db, singleUse, { username: 'replayed' }, jti('jti-replayed')))),
    ])
    const [, , ...manyUsernames] = await Promise.all([
      ...['ahead-3', 'ahead-4'].map(username => outcome(createOrUpdateFromPartner(handle.db, singleUse, { username }, jti(username)))),
      ...Array.from({ length: 8 }, (_, i) => outcome(createOrUpdateFromPartner(handle.db, singleUse, { username: `reused-${i}` }, jti('jti-reused')))),
    ])
    for (const outcomes of [sameUsername, manyUsernames]) {
      expect(outcomes.filter(each => each.ok)).toHaveLength(1)
      for (const refused of outcomes.filter(each => !each.ok))
        expect(refused.error).toMatchObject({ statusCode: 403, message: expect.stringMatching(/^token already used/) })
    }
    const { rows: [count] } = await client.query<{ count: number }>(`SELECT count(*)::integer AS count FROM respondents WHERE survey_id = $1`, [singleUse.id])
    expect(count!.count).toBe(4 + 2)
  })

  it('one creation that fails does not fail the others sharing its statement', async () => {
    const doomed = (await upsertSurvey(handle.db, { slug: 'doomed', name: 'Doomed', supportEmail: 'team@example.org', state: 'active', allowGenUsers: true, genUserKey: 'x'.repeat(40) })).survey
    await deleteSurvey(handle.db, doomed, true, CLI_ACTOR)
    // The survey row this request was read with is gone: its respondent cannot be inserted.
    const outcomes = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => outcome(createOrUpdateFromPartner(handle.db, survey, { username: `neighbour-${i}` }))),
      outcome(createOrUpdateFromPartner(handle.db, doomed, { username: 'orphan' })),
    ])
    expect(outcomes.slice(0, 10).every(each => each.ok)).toBe(true)
    expect(outcomes[10]!.ok).toBe(false)
    const { rows: [count] } = await client.query<{ count: number }>(`SELECT count(*)::integer AS count FROM respondents WHERE username LIKE 'neighbour-%'`)
    expect(count!.count).toBe(10)
    const { rows: [orphans] } = await client.query<{ count: number }>('SELECT count(*)::integer AS count FROM users u WHERE NOT EXISTS (SELECT 1 FROM respondents r WHERE r.user_id = u.id)')
    expect(orphans!.count).toBe(0)
  })
})
