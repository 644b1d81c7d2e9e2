import { describe, expect, it } from 'vitest'
import { openDatabase } from '#server/database'
import { rateLimits, usedTokenIds } from '#server/database/schema'
import { pruneExpired } from '#server/services/maintenance'
import { upsertSurvey } from '#server/services/surveys'
import { rateLimitHit, rateLimitPeek } from '#server/services/rate-limit'

describe('pruning', () => {
  it('drops expired single-use token ids and old rate-limit windows, keeps live ones', async () => {
    const { db } = openDatabase(':memory:')
    const survey = (await upsertSurvey(db, { slug: 's', name: 'S', supportEmail: 'a@example.org' })).survey
    const now = new Date('2026-06-01T00:00:00Z')
    db.insert(usedTokenIds).values([
      { surveyId: survey.id, jti: 'old', expiresAt: new Date(now.getTime() - 1000) },
      { surveyId: survey.id, jti: 'live', expiresAt: new Date(now.getTime() + 1000) },
    ]).run()
    await rateLimitHit(db, 'ancient', { max: 5, windowSeconds: 60 }, now.getTime() - 3 * 24 * 3600 * 1000)
    await rateLimitHit(db, 'recent', { max: 5, windowSeconds: 60 }, now.getTime() - 1000)
    await pruneExpired(db, now)
    expect(db.select().from(usedTokenIds).all().map(row => row.jti)).toEqual(['live'])
    expect(db.select().from(rateLimits).all().map(row => row.key)).toEqual(['recent'])
  })
})

describe('rate-limit windows', () => {
  it('counts within the window, limits past the maximum and starts again after it', async () => {
    const { db } = openDatabase(':memory:')
    const rule = { max: 2, windowSeconds: 60 }
    const t0 = Date.UTC(2026, 0, 1)
    await rateLimitHit(db, 'k', rule, t0)
    await rateLimitHit(db, 'k', rule, t0 + 1000)
    expect(await rateLimitPeek(db, 'k', rule, t0 + 2000)).toEqual({ count: 2, retryAfterSeconds: 58, limited: true })
    expect((await rateLimitHit(db, 'k', rule, t0 + 61_000)).count).toBe(1)
    expect((await rateLimitPeek(db, 'k', rule, t0 + 61_000)).limited).toBe(false)
  })
})
