import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '#server/database'
import { createOrUpdateFromPartner } from '#server/services/respondents'
import { loginWithPassword, type LoginContext } from '#server/services/login'
import { findSurveyBySlug, upsertSurveys } from '#server/services/surveys'
import { configurePasswordHashing, DEFAULT_HASHING_LIMITS, hashingQueueLength, hashPassword, verifyPassword } from '#server/utils/passwords'
import { AppError } from '#server/utils/errors'
import { rateLimits } from '#server/database/schema'

const context: LoginContext = {
  ip: '192.0.2.1',
  captcha: { provider: 'none', secret: '', siteKey: '', verifyUrl: '', hostname: '', timeoutMs: 1000 },
  rateLimit: { max: 1000, windowSeconds: 900 },
  addressRateLimit: { max: 1000, windowSeconds: 900 },
}
const statusOf = (promise: Promise<unknown>) =>
  promise.then(() => 200, (error: unknown) => error instanceof AppError ? error.statusCode : 500)

afterEach(() => configurePasswordHashing(DEFAULT_HASHING_LIMITS))

describe('the password-hashing queue', () => {
  it('serves an address that has just appeared before the backlog of a flooding one', async () => {
    configurePasswordHashing({ concurrency: 1 })
    const finished: string[] = []
    const flood = Array.from({ length: 8 }, (_, i) => hashPassword(`Flood-password-${i}`, 'flooding-address').then(() => finished.push(`flood${i}`)))
    await flood[1] // flood2 has started: the flood's lane is a backlog now
    const legitimate = hashPassword('Legitimate-password-1', 'another-address').then(() => finished.push('legitimate'))
    await Promise.all([...flood, legitimate])
    expect(finished.slice(0, 4)).toEqual(['flood0', 'flood1', 'flood2', 'legitimate'])
    expect(finished).toHaveLength(9)
  })

  it('lanes with a backlog take turns', async () => {
    configurePasswordHashing({ concurrency: 1 })
    const finished: string[] = []
    const hashes = [
      ...Array.from({ length: 3 }, (_, i) => hashPassword(`A-password-${i}`, 'a').then(() => finished.push(`a${i}`))),
      ...Array.from({ length: 3 }, (_, i) => hashPassword(`B-password-${i}`, 'b').then(() => finished.push(`b${i}`))),
    ]
    await Promise.all(hashes)
    expect(finished).toEqual(['a0', 'a1', 'b0', 'a2', 'b1', 'b2'])
  })

  it('refuses what it cannot hold with 503: past a lane\'s bound, and past the whole queue\'s unless a longer lane makes room', async () => {
    configurePasswordHashing({ concurrency: 1, queueMax: 3, queueMaxPerLane: 2 })
    const outcomes = await Promise.all([
      ...Array.from({ length: 4 }, (_, i) => statusOf(hashPassword(`Same-address-${i}`, 'a'))),
      ...Array.from({ length: 3 }, (_, i) => statusOf(hashPassword(`Other-address-${i}`, `b${i}`))),
    ])
    // a0 runs; a1 and a2 wait; a3 is past its lane's bound. b0 waits: the queue (3) is full. b1 takes the
    // place of a2, the newest of the longest lane; b2 finds every lane as short as its own would be.
    expect(outcomes).toEqual([200, 200, 503, 503, 200, 200, 503])
    expect(hashingQueueLength()).toBe(0)
  })

  it('a hash still waiting when its request is abandoned leaves the queue, and the next one takes its turn', async () => {
    configurePasswordHashing({ concurrency: 1 })
    const finished: string[] = []
    const abandon = new AbortController()
    const running = hashPassword('Running-password-1', 'a').then(() => finished.push('running'))
    const dropped = statusOf(hashPassword('Dropped-password-2', 'b', abandon.signal).then(() => finished.push('dropped')))
    const next = hashPassword('Next-password-3', 'c').then(() => finished.push('next'))
    expect(hashingQueueLength()).toBe(2)
    abandon.abort()
    expect(hashingQueueLength()).toBe(1)
    expect(await dropped).toBe(503)
    await Promise.all([running, next])
    expect(finished).toEqual(['running', 'next'])
    expect(hashingQueueLength()).toBe(0)
  })

  it('the 503 carries Retry-After', async () => {
    configurePasswordHashing({ concurrency: 1, queueMax: 1 })
    const running = [hashPassword('First-password-1'), hashPassword('Second-password-2')]
    const error = await hashPassword('Third-password-3').then(() => undefined, (caught: unknown) => caught)
    await Promise.all(running)
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).statusCode).toBe(503)
    expect(Number((error as AppError).headers?.['Retry-After'])).toBeGreaterThanOrEqual(1)
  })
})

describe('sign-in spends a hash only where one is needed', () => {
  it('a survey that does not exist or has no password sign-in costs no hash; an unknown username does', async () => {
    const { db } = openDatabase(':memory:')
    await upsertSurveys(db, [
      { slug: 'cohort', name: 'Cohort', supportEmail: 'team@example.org', state: 'active', allowGenUsers: true, genUserKey: 'k'.repeat(40) },
      { slug: 'links', name: 'Links', supportEmail: 'team@example.org', state: 'active', allowGenUsers: true, genUserKey: 'l'.repeat(40), authModes: ['token'] },
    ])
    await createOrUpdateFromPartner(db, (await findSurveyBySlug(db, 'cohort'))!, { username: 'alice', password: 'Correct-horse9' })
    await verifyPassword(null, 'warm the decoy hash')

    // The queue is full (one running, one waiting): anything that needs a hash now is refused with 503.
    configurePasswordHashing({ concurrency: 1, queueMax: 1 })
    const busy = [hashPassword('Occupying-password-1'), hashPassword('Occupying-password-2')]
    const login = (survey: string, username: string) => statusOf(loginWithPassword(db, { survey, username, password: 'Wrong-password1' }, context))
    expect(await login('no-such-survey', 'alice')).toBe(401)
    expect(await login('links', 'alice')).toBe(403)
    expect(await login('cohort', 'nobody')).toBe(503)
    expect(await login('cohort', 'alice')).toBe(503)
    await Promise.all(busy)
  })

  it('a sign-in the full queue would refuse is refused before it is counted or its account looked up', async () => {
    const { db } = openDatabase(':memory:')
    await upsertSurveys(db, [{ slug: 'cohort', name: 'Cohort', supportEmail: 'team@example.org', state: 'active', allowGenUsers: true, genUserKey: 'k'.repeat(40) }])
    configurePasswordHashing({ concurrency: 1, queueMax: 1 })
    const busy = [hashPassword('Occupying-password-1'), hashPassword('Occupying-password-2')]
    const refused = await loginWithPassword(db, { survey: 'cohort', username: 'alice', password: 'Wrong-password1' }, context)
      .then(() => undefined, (error: unknown) => error)
    await Promise.all(busy)
    expect((refused as AppError).statusCode).toBe(503)
    expect(Number((refused as AppError).headers?.['Retry-After'])).toBeGreaterThanOrEqual(1)
    // Shed before the rate-limit counters: nothing was counted against the address or the username.
    expect(await db.select().from(rateLimits)).toEqual([])
    // With room again, the same sign-in goes through the whole path and is counted.
    expect(await statusOf(loginWithPassword(db, { survey: 'cohort', username: 'alice', password: 'Wrong-password1' }, context))).toBe(401)
    expect((await db.select().from(rateLimits)).map(row => row.key).sort()).toEqual(['login:address:192.0.2.1', 'login:alias:192.0.2.1:cohort:alice'])
  })
})
