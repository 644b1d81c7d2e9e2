import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { externalDataVersion } from '#server/database'
import { openPostgres, SURVEYS_CHANNEL, type PostgresHandle } from '#server/database/postgres-engine'
import { surveysVersion, upsertSurvey } from '#server/services/surveys'
import { root } from '../../scripts/ensure-build.mjs'
import { dropDatabaseOnceClosed, postgresForUnitTest, withDatabase } from '../support/engine'

const adminUrl = await postgresForUnitTest('the survey change notice test')

async function until(condition: () => boolean, what: string) {
  const deadline = Date.now() + 10_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(done => setTimeout(done, 10))
  }
}

// On PostgreSQL every survey change is announced with NOTIFY to every server. The server that made the
// change has already dropped its caches when it committed; its own announcement, arriving a moment later,
// must not drop them again (a page rendered and kept in between would be thrown away for nothing).
describe.skipIf(adminUrl === null)('survey change notices on PostgreSQL', () => {
  const database = `rg_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl ?? undefined })
  let handle: PostgresHandle | undefined
  afterAll(async () => {
    await handle?.close()
    await dropDatabaseOnceClosed(admin, database).catch(() => undefined)
    await admin.end()
  })

  it('a change by this process counts once, at its commit; a change announced by another process counts too', async () => {
    await admin.connect()
    await admin.query(`CREATE DATABASE ${database}`)
    const url = withDatabase(adminUrl!, database)
    handle = openPostgres(url, { poolSize: 2, migrationsFolder: join(root, 'drizzle', 'postgres'), listen: true })
    await handle.ready
    const db = handle.db
    await until(() => externalDataVersion(db) > 0, 'the listener to start')

    const before = externalDataVersion(db)
    const versionBefore = surveysVersion(db)
    await upsertSurvey(db, { slug: 'noticed', name: 'Noticed', supportEmail: 'team@example.org', state: 'active' })
    expect(surveysVersion(db)).not.toBe(versionBefore)
    const afterCommit = surveysVersion(db)

    // Another process's change, announced after this one's: notices arrive in commit order, so once it is
    // counted, this process's own notice has arrived before it.
    const other = new pg.Client({ connectionString: url })
    await other.connect()
    try {
      await other.query(`NOTIFY ${SURVEYS_CHANNEL}, 'another-process'`)
      await other.query(`NOTIFY ${SURVEYS_CHANNEL}`)
    }
    finally {
      await other.end()
    }
    await until(() => externalDataVersion(db) >= before + 2, 'the other process\'s notices')
    await new Promise(done => setTimeout(done, 100))
    expect(externalDataVersion(db)).toBe(before + 2)
    expect(surveysVersion(db)).not.toBe(afterCommit)
  })
})
