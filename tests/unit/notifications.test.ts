import { describe, expect, it } from 'vitest'
import { openDatabase } from '#server/database'
import { runSqliteSteps } from '#server/database/steps'
import { surveyEvents, webhookDeliveries } from '#server/database/schema'
import { recordEvent } from '#server/services/notifications'
import { upsertSurvey } from '#server/services/surveys'
import { claimDueDeliveries, RETRY_SCHEDULE_SECONDS, standardWebhookSignature } from '#server/services/webhooks'
import { isPrivateAddress, obviouslyPrivateHost } from '#server/utils/ssrf'

async function setup() {
  const { db } = openDatabase(':memory:')
  const survey = (await upsertSurvey(db, {
    slug: 's',
    name: 'S',
    supportEmail: 'a@example.org',
    notifications: [{ type: 'survey.session.started', url: 'https://partner.example.org/a' }, { type: 'survey.session.started', url: 'https://partner.example.org/b' }],
  })).survey
  return { db, survey }
}

describe('the outbox', () => {
  it('writes the event and one delivery per target inside the caller\'s transaction', async () => {
    const { db, survey } = await setup()
    db.transaction(tx => runSqliteSteps(tx, recordEvent(tx, survey, { type: 'survey.session.started', surveyId: '1', userId: '7', sessionId: 'x' })))
    expect(db.select().from(surveyEvents).all()).toHaveLength(1)
    expect(db.select().from(webhookDeliveries).all().map(d => d.url).sort()).toEqual(['https://partner.example.org/a', 'https://partner.example.org/b'])
  })

  it('leaves no event and no delivery when the transaction fails', async () => {
    const { db, survey } = await setup()
    expect(() => db.transaction((tx) => {
      runSqliteSteps(tx, recordEvent(tx, survey, { type: 'survey.session.started', surveyId: '1', userId: '7', sessionId: 'x' }))
      throw new Error('the change failed')
    })).toThrow('the change failed')
    expect(db.select().from(surveyEvents).all()).toHaveLength(0)
    expect(db.select().from(webhookDeliveries).all()).toHaveLength(0)
  })

  it('hands out a respondent\'s deliveries one at a time, oldest first, and never the same one twice', async () => {
    const { db, survey } = await setup()
    db.transaction((tx) => {
      runSqliteSteps(tx, recordEvent(tx, survey, { type: 'survey.session.started', surveyId: '1', userId: '7', sessionId: 'first' }))
      runSqliteSteps(tx, recordEvent(tx, survey, { type: 'survey.session.started', surveyId: '1', userId: '7', sessionId: 'second' }))
      runSqliteSteps(tx, recordEvent(tx, survey, { type: 'survey.session.started', surveyId: '1', userId: '8', sessionId: 'other' }))
    })
    const claimed = await claimDueDeliveries(db, 10)
    expect(claimed).toHaveLength(4) // the first event of each respondent, to each of the two targets
    expect(await claimDueDeliveries(db, 10)).toHaveLength(0) // locked
  })

  it('retries for more than 24 hours in all', async () => {
    expect(RETRY_SCHEDULE_SECONDS[0]).toBe(10)
    expect(RETRY_SCHEDULE_SECONDS.reduce((a, b) => a + b, 0)).toBeGreaterThan(24 * 3600)
  })

  it('signs id.timestamp.body with the decoded secret (Standard Webhooks test vector)', async () => {
    // The example from the Standard Webhooks specification.
    const signature = standardWebhookSignature('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
  })
})

describe('webhook address checks', () => {
  it('classifies private, loopback, link-local and metadata addresses', async () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1'])
      expect(isPrivateAddress(address), address).toBe(true)
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111'])
      expect(isPrivateAddress(address), address).toBe(false)
  })

  it('refuses obviously private hosts at save time', async () => {
    expect(obviouslyPrivateHost('http://localhost:8080/x')).toBe(true)
    expect(obviouslyPrivateHost('http://[::1]/x')).toBe(true)
    expect(obviouslyPrivateHost('http://metadata.internal/x')).toBe(true)
    expect(obviouslyPrivateHost('https://partner.example.org/x')).toBe(false)
  })
})
