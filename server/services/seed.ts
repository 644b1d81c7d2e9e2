import { SignJWT } from 'jose'
import type { Db } from '../database'
import { settings, surveys } from '../database/schema'
import { getSetting } from './settings'
import { upsertSurveys } from './surveys'
import { randomToken } from '../utils/tokens'

export interface SeedResult { partnerSlug: string, partnerSecret: string }

/**
 * On the first start of an empty database: an open-access survey `demo` and a partner survey `partner`
 * with a random secret. Returns the partner secret once, for the start-up log; never again.
 */
export function seedDemoSurveys(db: Db): SeedResult | undefined {
  if (getSetting(db, 'demo_seeded') || db.select({ id: surveys.id }).from(surveys).limit(1).get()) return undefined
  const partnerSecret = randomToken(32)
  upsertSurveys(db, [
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
  db.insert(settings).values({ key: 'demo_seeded', value: new Date().toISOString() }).onConflictDoNothing().run()
  return { partnerSlug: 'partner', partnerSecret }
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
