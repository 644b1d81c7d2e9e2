import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from '#server/database'
import { CopyRefused, copySqliteToPostgres, uncopiedTables } from '#server/database/copy-to-postgres'
import * as postgresSchema from '#server/database/schema.postgres'
import { createAccessToken } from '#server/services/access-tokens'
import { createAdminAccount } from '#server/services/admin-accounts'
import { audit } from '#server/services/audit'
import { startRefreshSession } from '#server/services/auth'
import { startOrResumeSession, submitRecall } from '#server/services/recall'
import { createOrUpdateFromPartner, findRespondent } from '#server/services/respondents'
import { findSurveyBySlug, upsertSurveys } from '#server/services/surveys'
import { verifyPassword } from '#server/utils/passwords'
import { root } from '../../scripts/ensure-build.mjs'
import { runCli } from '../support/cli'
import { dropDatabaseOnceClosed, postgresForUnitTest } from '../support/engine'

const adminUrl = await postgresForUnitTest('the db:copy test into PostgreSQL') ?? ''
const available = adminUrl !== ''
const admin = new pg.Client({ connectionString: adminUrl })
if (available) await admin.connect()
const created: string[] = []

async function freshDatabase(): Promise<string> {
  const name = `rg_test_${randomBytes(6).toString('hex')}`
  await admin.query(`CREATE DATABASE ${name}`)
  created.push(name)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

afterAll(async () => {
  if (!available) return
  for (const name of created) await dropDatabaseOnceClosed(admin, name)
  await admin.end()
})

const folders = { sqliteMigrations: join(root, 'drizzle'), postgresMigrations: join(root, 'drizzle', 'postgres') }
const fileDigest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

describe('db:copy', () => {
  it('knows every table of the schema', async () => {
    expect(uncopiedTables()).toEqual([])
  })

  describe.skipIf(!available)('into PostgreSQL', () => {
    it('copies every row, moves the sequences past the highest id, refuses a non-empty target and leaves the source as it was', async () => {
      const sqlitePath = join(mkdtempSync(join(tmpdir(), 'rg-copy-')), 'gateway.db')
      const { db, sqlite } = openDatabase(sqlitePath)
      await upsertSurveys(db, [{ slug: 'cohort', name: 'Cohort', supportEmail: 'team@example.org', state: 'active', allowGenUsers: true, genUserKey: 'k'.repeat(40), userCustomFields: true, feedbackEnabled: true, notifications: [{ type: 'survey.session.submitted', url: 'https://partner.example.org/hook' }], webhookSecret: `whsec_${randomBytes(32).toString('base64')}` }], { allowPrivateWebhooks: false })
      const survey = (await findSurveyBySlug(db, 'cohort'))!
      const alice = await createOrUpdateFromPartner(db, survey, { username: 'alice', password: 'Correct-horse9', customFields: [{ name: 'arm', value: 'B', public: true }] })
      await createOrUpdateFromPartner(db, survey, { username: 'bob' })
      const record = (await findRespondent(db, survey.id, 'alice'))!
      await startRefreshSession(db, record.respondent.id)
      const session = await startOrResumeSession(db, survey, record)
      await submitRecall(db, survey, record, { sessionId: session.sessionId, meals: [{ name: 'Breakfast', time: '08:00', foods: [{ description: 'Porridge', amount: '1', unit: 'bowl' }] }] })
      await createAccessToken(db, { name: 'portal', scopes: ['surveys:read'], surveys: ['cohort'] })
      await createAdminAccount(db, { email: 'owner@example.org', name: 'Owner', role: 'owner' }, { password: 'a long console passphrase' })
      await audit(db, { tokenId: null, name: 'cli' }, 'survey.update', 'cohort')
      sqlite.close()
      const before = fileDigest(sqlitePath)

      const target = await freshDatabase()
      const counts = await copySqliteToPostgres({ sqlitePath, postgresUrl: target, ...folders })
      expect(fileDigest(sqlitePath)).toBe(before)
      const byTable = Object.fromEntries(counts.map(entry => [entry.table, entry]))
      for (const entry of counts) expect(entry.target, entry.table).toBe(entry.source)
      expect(byTable.respondents!.source).toBe(2)
      expect(byTable.submission_foods!.source).toBe(1)
      expect(byTable.webhook_deliveries!.source).toBeGreaterThanOrEqual(1)
      expect(byTable.refresh_sessions!.source).toBe(1)

      const pool = new pg.Pool({ connectionString: target })
      try {
        const to = drizzle(pool, { schema: postgresSchema })
        const [copied] = await to.select().from(postgresSchema.respondents).where(eq(postgresSchema.respondents.username, 'alice'))
        expect(copied!.authToken).toBe(alice.authToken)
        expect(await verifyPassword(copied!.passwordHash, 'Correct-horse9')).toBe(true)
        const [pending] = await to.select().from(postgresSchema.webhookDeliveries)
        expect(pending!.status).toBe('pending')
        expect(pending!.nextAttemptAt).toBeInstanceOf(Date)
        const [surveyRow] = await to.select().from(postgresSchema.surveys)
        expect(surveyRow!.notifications).toEqual([{ type: 'survey.session.submitted', url: 'https://partner.example.org/hook' }])
        // The next id follows the copied ones.
        const [user] = await to.insert(postgresSchema.users).values({ name: 'after the copy' }).returning()
        expect(user!.id).toBe(3)
        // The token's and the account's creation (audited by their services) and the survey update.
        const [{ n }] = (await to.execute(sql`SELECT count(*)::int AS n FROM audit_log`)).rows as [{ n: number }]
        expect(n).toBe(3)
        const [owner] = await to.select().from(postgresSchema.adminAccounts)
        expect(await verifyPassword(owner!.passwordHash, 'a long console passphrase')).toBe(true)
        const [token] = await to.select().from(postgresSchema.personalAccessTokens)
        expect(token!.surveys).toEqual(['cohort'])
      }
      finally {
        await pool.end()
      }

      // The target now holds rows: a second copy is refused and changes nothing.
      await expect(copySqliteToPostgres({ sqlitePath, postgresUrl: target, ...folders })).rejects.toThrow(CopyRefused)
      expect(fileDigest(sqlitePath)).toBe(before)
    })

    it('npm run cli -- db:copy --to … copies the database named by DATABASE_URL, and refuses a target that is not empty', async () => {
      const sqlitePath = join(mkdtempSync(join(tmpdir(), 'rg-copy-cli-')), 'gateway.db')
      const { db, sqlite } = openDatabase(sqlitePath)
      await upsertSurveys(db, { slug: 'cohort', name: 'Cohort', supportEmail: 'team@example.org', allowGenUsers: true })
      sqlite.close()
      const target = await freshDatabase()
      const first = runCli(['db:copy', '--to', target], sqlitePath)
      expect(first.status, first.stderr).toBe(0)
      expect(first.stdout).toMatch(/every table's row count matches/)
      const second = runCli(['db:copy', '--to', target], sqlitePath)
      expect(second.status).toBe(1)
      expect(second.stderr).toMatch(/not empty/)
      expect(runCli(['db:copy', '--to', 'mysql://somewhere/db'], sqlitePath).stderr).toMatch(/Name the target/)
    }, 60_000)
  })
})
