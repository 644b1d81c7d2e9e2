import { describe, expect, it } from 'vitest'
import { openDatabase } from '#server/database'
import { rateLimits, usedTokenIds } from '#server/database/schema'
import { pruneExpired } from '#server/services/maintenance'
import { upsertSurvey } from '#server/services/surveys'
import { rateLimitHit, rateLimitPeek } from '#server/services/rate-limit'

describe('pruning', () => {
  it('drops expired single-use token ids and old rate-limit windows, keeps live ones', () => {
    const { db } = openDatabase(':memory:')
    const survey = upsertSurvey(db, { slug: 's', name: 'S', supportEmail: 'a@example.org' }).survey
    const now = new Date('2026-06-01T00:00:00Z')
    db.insert(usedTokenIds).values([
      { surveyId: survey.id, jti: 'old', expiresAt: new Date(now.getTime() - 1000) },
      { surveyId: survey.id, jti: 'live', expiresAt: new Date(now.getTime() + 1000) },
    ]).run()
    rateLimitHit(db, 'ancient', { max: 5, windowSeconds: 60 }, now.getTime() - 3 * 24 * 3600 * 1000)
    rateLimitHit(db, 'recent', { max: 5, windowSeconds: 60 }, now.getTime() - 1000)
    pruneExpired(db, now)
    expect(db.select().from(usedTokenIds).all().map(row => row.jti)).toEqual(['live'])
    expect(db.select().from(rateLimits).all().map(row => row.key)).toEqual(['recent'])
  })
})

describe('rate-limit windows', () => {
  it('counts within the window, limits past the maximum and starts again after it', () => {
    const { db } = openDatabase(':memory:')
    const rule = { max: 2, windowSeconds: 60 }
    const t0 = Date.UTC(2026, 0, 1)
    rateLimitHit(db, 'k', rule, t0)
    rateLimitHit(db, 'k', rule, t0 + 1000)
    expect(rateLimitPeek(db, 'k', rule, t0 + 2000)).toEqual({ count: 2, retryAfterSeconds: 58, limited: true })
    expect(rateLimitHit(db, 'k', rule, t0 + 61_000).count).toBe(1)
    expect(rateLimitPeek(db, 'k', rule, t0 + 61_000).limited).toBe(false)
  })
})
