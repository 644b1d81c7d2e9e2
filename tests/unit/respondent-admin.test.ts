import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { describe, expect, it } from 'vitest'
import type { Db } from '#server/database'
import { migrationsFolder } from '#server/database/paths'
import * as schema from '#server/database/schema'
import { listRespondents } from '#server/services/respondent-admin'
import { createOrUpdateFromPartner } from '#server/services/respondents'
import { findSurveyBySlug, upsertSurveys } from '#server/services/surveys'

describe('admin respondent list', () => {
  it('reads a page of respondents and their custom fields in a fixed number of queries, not one per row', async () => {
    const statements: string[] = []
    const sqlite = new Database(':memory:', { verbose: statement => statements.push(String(statement)) })
    const db = drizzle(sqlite, { schema }) as unknown as Db
    migrate(db, { migrationsFolder: migrationsFolder() })
    await upsertSurveys(db, { slug: 'cohort', name: 'Cohort', supportEmail: 'team@example.org', allowGenUsers: true, genUserKey: 'k'.repeat(40), userCustomFields: true })
    const survey = (await findSurveyBySlug(db, 'cohort'))!
    for (let i = 0; i < 30; i++)
      await createOrUpdateFromPartner(db, survey, { username: `person${i}`, customFields: [{ name: 'arm', value: i % 2 ? 'A' : 'B', public: true }, { name: 'site', value: `s${i}` }] })

    statements.length = 0
    const page = await listRespondents(db, survey, { page: 1, limit: 50 })
    expect(page.total).toBe(30)
    expect(page.items[7]!.customFields).toEqual([{ name: 'arm', value: 'A', public: true }, { name: 'site', value: 's7', public: false }])
    expect(statements.length).toBeLessThanOrEqual(3)
  })
})
