import { SignJWT } from 'jose'
import type { Db } from '#server/database'
import { settings, surveys } from '#server/database/schema'
import { getSetting } from './settings'
import { upsertSurveys } from './surveys'
import { randomToken } from '#server/utils/tokens'

export interface SeedResult { partnerSlug: string, partnerSecret: string }

/**
 * On the first start of an empty database: an open-access survey `demo` and a partner survey `partner`
 * with a random secret. Returns the partner secret once, for the start-up log; never again. The check
 * and the seeding are one IMMEDIATE transaction, so of several processes starting on one fresh file
 * exactly one seeds (and prints a secret that stays true).
 */
export function seedDemoSurveys(db: Db): SeedResult | undefined {
  const partnerSecret = randomToken(32)
  const seeded = db.transaction((tx) => {
    if (getSetting(tx, 'demo_seeded') || tx.select({ id: surveys.id }).from(surveys).limit(1).get()) return false
    tx.insert(settings).values({ key: 'demo_seeded', value: new Date().toISOString() }).run()
    upsertSurveys(tx as unknown as Db, [
      {
        slug: 'demo',
        name: 'Demo survey',
        supportEmail: 'support@example.org',
        state: 'active',
        allowGenUsers: true,
        authModes: ['username', 'token'],
        feedbackEnabled: true,
        maximumDailySubmissions: 3,
        minimumSubmissionInterval: 0,
      },
      {
        slug: 'partner',
        name: 'Partner study (demo)',
        supportEmail: 'support@example.org',
        state: 'active',
        allowGenUsers: true,
        genUserKey: partnerSecret,
        authModes: ['token'],
        userPersonalIdentifiers: true,
        userCustomFields: true,
        feedbackEnabled: true,
        minimumSubmissionInterval: 0,
      },
    ])
    return true
  }, { behavior: 'immediate' })
  return seeded ? { partnerSlug: 'partner', partnerSecret } : undefined
}

export async function exampleCreateUserLink(origin: string, slug: string, secret: string): Promise<string> {
  const token = await new SignJWT({ username: 'example-respondent' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(slug)
    .setIssuedAt()
    .setExpirationTime('7d')
    .sign(new TextEncoder().encode(secret))
  return `${origin.replace(/\/$/, '')}/${slug}/create-user/${token}?redirect=recall`
}
