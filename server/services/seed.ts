import { SignJWT } from 'jose'
import { tables, type Db } from '#server/database'
import { first } from '#server/database/steps'
import { changingSurveys, planSurveyUpserts, writeSurveysIn } from './surveys'
import { randomToken } from '#server/utils/tokens'

export interface SeedResult { partnerSlug: string, partnerSecret: string }

/**
 * On the first start of an empty database: an open-access survey `demo` and a partner survey `partner`
 * with a random secret. Returns the partner secret once, for the start-up log; never again. The check
 * and the seeding are one IMMEDIATE transaction, so of several processes starting on one fresh file
 * exactly one seeds (and prints a secret that stays true): on PostgreSQL, the marker row is inserted first
 * (ON CONFLICT DO NOTHING), so a second server waits for the first one's commit and then finds it there.
 */
export async function seedDemoSurveys(db: Db): Promise<SeedResult | undefined> {
  const partnerSecret = randomToken(32)
  const plans = planSurveyUpserts([
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
  ], new Map())
  const seeded = await changingSurveys(db, function* (tx) {
    const { settings, surveys } = tables(tx)
    if (yield* first(tx.select({ id: surveys.id }).from(surveys).limit(1))) return false
    const marked = yield* first(tx.insert(settings).values({ key: 'demo_seeded', value: new Date().toISOString() })
      .onConflictDoNothing().returning({ key: settings.key }))
    if (!marked) return false
    yield* writeSurveysIn(tx, plans, {})
    return true
  })
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
