import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '#server/database'
import { seedDemoSurveys } from '#server/services/seed'
import { findSurveyBySlug, isOpenAccess, listSurveys } from '#server/services/surveys'

describe('first-start seeding', () => {
  it('seeds demo and partner once, even from two connections (processes) on one file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gateway-seed-')), 'gateway.db')
    const first = openDatabase(path)
    const second = openDatabase(path)
    const results = [await seedDemoSurveys(first.db), await seedDemoSurveys(second.db), await seedDemoSurveys(first.db)]
    const seeded = results.filter(Boolean)
    expect(seeded).toHaveLength(1)
    const partner = (await findSurveyBySlug(second.db, 'partner'))!
    expect(partner.genUserKey).toBe(seeded[0]!.partnerSecret)
    expect(isOpenAccess((await findSurveyBySlug(second.db, 'demo'))!)).toBe(true)
    expect(await listSurveys(second.db)).toHaveLength(2)
    first.sqlite.close()
    second.sqlite.close()
  })
})
