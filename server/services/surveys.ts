import { randomBytes } from 'node:crypto'
import { asc, eq, inArray, sql } from 'drizzle-orm'
import { externalDataVersion, type Db } from '#server/database'
import { prepared } from '#server/database/prepared'
import { respondents, surveys, users, type SurveyRow } from '#server/database/schema'
import { badRequest, conflict, fieldErrors, fieldErrorsFromZod, forbidden, notFound, type FieldErrors } from '#server/utils/errors'
import { obviouslyPrivateHost } from '#server/utils/ssrf'
import {
  DEFAULT_MEALS,
  MIN_AUTH_TOKEN_BITS,
  SLUG_PATTERN,
  surveyInputSchema,
  type PublicSurveyEntry,
  type SurveyAvailability,
  type SurveyInput,
  type SurveyState,
} from '#shared/schemas/survey'
import { audit, type Actor } from './audit'

export const AUTH_TOKEN_DEFAULT_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

const isSlug = (slug: unknown): slug is string => typeof slug === 'string' && SLUG_PATTERN.test(slug)

/** Looks a survey up by slug ignoring case (never as a pattern). Anything that is not a valid slug matches nothing. */
export function findSurveyBySlug(db: Db, slug: string): SurveyRow | undefined {
  if (!isSlug(slug)) return undefined
  return prepared(db, 'surveyBySlug', () => db.select().from(surveys).where(sql`lower(${surveys.slug}) = ${sql.placeholder('slug')}`).prepare())
    .get({ slug: slug.toLowerCase() })
}

/** The survey with this slug (ignoring case); 404 "Survey not found." when there is none. */
export function requireSurvey(db: Db, slug: string): SurveyRow {
  const survey = findSurveyBySlug(db, slug)
  if (!survey) throw notFound('Survey not found.')
  return survey
}

export function findSurveyById(db: Db, id: number): SurveyRow | undefined {
  return prepared(db, 'surveyById', () => db.select().from(surveys).where(eq(surveys.id, sql.placeholder('id'))).prepare()).get({ id })
}

export function listSurveys(db: Db): SurveyRow[] {
  return prepared(db, 'surveys', () => db.select().from(surveys).orderBy(asc(surveys.name), asc(surveys.id)).prepare()).all()
}

/** Open access: anyone may self-register (generation allowed and no partner secret). */
export function isOpenAccess(survey: Pick<SurveyRow, 'allowGenUsers' | 'genUserKey'>): boolean {
  return survey.allowGenUsers && !survey.genUserKey
}

/** Dates win over the stored state (docs/api.md#survey-settings). */
export function effectiveState(survey: Pick<SurveyRow, 'state' | 'startDate' | 'endDate'>, now = new Date()): SurveyState {
  if (survey.startDate && now < survey.startDate) return 'notStarted'
  if (survey.endDate && now > survey.endDate) return 'completed'
  return survey.state
}

export function surveyAvailability(survey: SurveyRow, now = new Date()): SurveyAvailability {
  const state = effectiveState(survey, now)
  const messages: Record<SurveyState, string | null> = {
    active: null,
    notStarted: survey.startDate && now < survey.startDate
      ? `This survey has not started yet. It opens on ${survey.startDate.toISOString().slice(0, 10)}.`
      : 'This survey has not started yet.',
    suspended: survey.suspensionReason
      ? `This survey is suspended: ${survey.suspensionReason}`
      : 'This survey is suspended.',
    completed: 'This survey has closed.',
  }
  return {
    state,
    suspensionReason: state === 'suspended' ? survey.suspensionReason : null,
    acceptingRespondents: state === 'active',
    message: messages[state],
  }
}

/** Throws 403 with the reason when the survey does not accept respondents or recalls now. */
export function assertSurveyActive(survey: SurveyRow, now = new Date()) {
  const availability = surveyAvailability(survey, now)
  if (!availability.acceptingRespondents) throw forbidden(availability.message ?? 'This survey is not active.')
}

/** Listed publicly when anyone may register and it has not ended. */
const isListed = (survey: SurveyRow, now: Date) => isOpenAccess(survey) && effectiveState(survey, now) !== 'completed'

/** Survey writes made by this process (SQLite's data_version only counts other connections' commits). */
let localSurveyWrites = 0
const PUBLIC_LIST_MAX_AGE_MS = 5000
/** Changes whenever any survey may have changed: a write by this process, or a commit by another. */
export const surveysVersion = (db: Db) => `${externalDataVersion(db)}:${localSurveyWrites}`

interface PublicCache {
  dataVersion: number
  localWrites: number
  at: number
  list: PublicSurveyEntry[]
  bySlug: Map<string, PublicSurveyEntry>
}
const publicCache = new WeakMap<Db, PublicCache>()

/**
 * The public entries (GET /api/surveys and /api/surveys/{slug}), cached: rebuilt when this process
 * changed a survey, when another process (the CLI, another server) committed to the database, and at
 * least every 5 s (start and end dates pass by).
 */
function publicEntries(db: Db, now: Date): PublicCache {
  const dataVersion = externalDataVersion(db)
  const cached = publicCache.get(db)
  const unchanged = cached?.dataVersion === dataVersion && cached.localWrites === localSurveyWrites
  if (cached && unchanged && now.getTime() - cached.at < PUBLIC_LIST_MAX_AGE_MS) return cached
  const all = listSurveys(db)
  const fresh = {
    dataVersion,
    localWrites: localSurveyWrites,
    at: now.getTime(),
    list: all.filter(survey => isListed(survey, now)).map(publicSurveyEntry),
    bySlug: new Map(all.map(survey => [survey.slug.toLowerCase(), publicSurveyEntry(survey)])),
  }
  publicCache.set(db, fresh)
  return fresh
}

export const publicSurveyList = (db: Db, now = new Date()): PublicSurveyEntry[] => publicEntries(db, now).list

export function publicSurveyBySlug(db: Db, slug: string, now = new Date()): PublicSurveyEntry | undefined {
  if (!isSlug(slug)) return undefined
  return publicEntries(db, now).bySlug.get(slug.toLowerCase())
}

/** The only view of a survey that unauthenticated clients get (docs/api.md#public-endpoints). */
export function publicSurveyEntry(survey: SurveyRow): PublicSurveyEntry {
  return {
    id: String(survey.id),
    slug: survey.slug,
    name: survey.name,
    localeId: survey.localeId,
    originatingUrl: survey.originatingUrl,
    supportEmail: survey.supportEmail,
    openAccess: isOpenAccess(survey),
    authCaptcha: survey.authCaptcha,
    authModes: survey.authModes,
    ...(survey.languages ? { languages: survey.languages } : {}),
  }
}

export function surveyMeals(survey: SurveyRow): string[] {
  return survey.scheme.meals?.length ? survey.scheme.meals : DEFAULT_MEALS
}

/** What an administrator sees: everything but the write-only secrets, which are shown as set / not set. */
export function adminSurveyView(survey: SurveyRow) {
  const { genUserKey, webhookSecret, generatedUserCounter: _counter, ...rest } = survey
  return {
    ...rest,
    id: String(survey.id),
    startDate: survey.startDate?.toISOString() ?? null,
    endDate: survey.endDate?.toISOString() ?? null,
    createdAt: survey.createdAt.toISOString(),
    updatedAt: survey.updatedAt.toISOString(),
    genUserKeySet: Boolean(genUserKey),
    webhookSecretSet: Boolean(webhookSecret),
  }
}
export type AdminSurveyView = ReturnType<typeof adminSurveyView>

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

const surveyDefaults = {
  localeId: 'en_GB',
  originatingUrl: null,
  state: 'notStarted',
  startDate: null,
  endDate: null,
  suspensionReason: null,
  allowGenUsers: false,
  genUserKey: null,
  authCaptcha: false,
  authModes: ['username', 'token'],
  authUrlTokenLength: 32,
  authUrlTokenCharset: null,
  authUrlDomainOverride: null,
  userPersonalIdentifiers: false,
  userCustomFields: false,
  maximumDailySubmissions: 3,
  maximumTotalSubmissions: null,
  minimumSubmissionInterval: 600,
  feedbackEnabled: false,
  allowedRedirectOrigins: [],
  languages: null,
  jwtPolicy: {},
  scheme: {},
  notifications: [],
  webhookSecret: null,
} satisfies Omit<Required<SurveyInput>, 'slug' | 'name' | 'supportEmail'>

type MergedSurvey = Omit<Required<SurveyInput>, never>

export interface UpsertOptions {
  /** Allow webhook targets on private or loopback addresses (NUXT_WEBHOOKS_ALLOW_PRIVATE). */
  allowPrivateWebhooks?: boolean
  /**
   * Who makes the change: each survey written gets its audit row (`survey.create` or `survey.update`,
   * with these details) in the same transaction, so the change and its row commit or roll back together.
   */
  audit?: { actor: Actor, details: (result: UpsertResult, index: number) => Record<string, unknown> }
}

/** Rules that span fields, checked on the survey as it will be stored. */
function crossFieldErrors(merged: Partial<MergedSurvey>, creating: boolean, options: UpsertOptions): FieldErrors {
  const errors = fieldErrors()
  if (!options.allowPrivateWebhooks) {
    merged.notifications?.forEach((target, index) => {
      if (obviouslyPrivateHost(target.url)) errors[`notifications.${index}.url`] = { msg: 'must not point at a private, loopback or local address' }
    })
  }
  if (creating && !merged.name) errors.name = { msg: 'is required for a new survey' }
  if (creating && !merged.supportEmail) errors.supportEmail = { msg: 'is required for a new survey' }
  if (merged.allowGenUsers && !merged.genUserKey && merged.authModes && !merged.authModes.includes('username'))
    errors.authModes = { msg: 'must include username on an open-access survey: self-registered respondents sign in with the username and password they are given' }
  if (merged.startDate && merged.endDate && merged.endDate <= merged.startDate)
    errors.endDate = { msg: 'must be after startDate' }
  const charsetSize = (merged.authUrlTokenCharset ?? AUTH_TOKEN_DEFAULT_CHARSET).length
  const bits = (merged.authUrlTokenLength ?? 32) * Math.log2(charsetSize)
  if (bits < MIN_AUTH_TOKEN_BITS) {
    const field = merged.authUrlTokenCharset ? 'authUrlTokenCharset' : 'authUrlTokenLength'
    errors[field] = { msg: `gives auth tokens of ${Math.floor(bits)} bits; at least ${MIN_AUTH_TOKEN_BITS} are needed (use a longer token or a larger charset)` }
  }
  if (merged.scheme?.redirect?.identifier && !/^[\w.-]+$/.test(merged.scheme.redirect.identifier))
    errors['scheme.redirect.identifier'] = { msg: 'must be userId, username, authToken or a custom field name' }
  return errors
}

function parseSurveyInputs(input: unknown): SurveyInput[] {
  const list = Array.isArray(input) ? input : [input]
  if (list.length === 0) throw badRequest('The survey file holds no survey.')
  const parsed: SurveyInput[] = []
  const errors = fieldErrors()
  list.forEach((item, index) => {
    const result = surveyInputSchema.safeParse(item)
    const prefix = Array.isArray(input) ? String(index) : undefined
    if (result.success) parsed.push(result.data)
    else Object.assign(errors, fieldErrorsFromZod(result.error, prefix))
  })
  if (Object.keys(errors).length) throw badRequest('The survey is not valid.', errors)
  const slugs = parsed.map(survey => survey.slug.toLowerCase())
  const repeated = slugs.findIndex((slug, index) => slugs.indexOf(slug) !== index)
  if (repeated !== -1) throw badRequest('The file names one survey twice.', { [`${repeated}.slug`]: { msg: 'repeats an earlier slug (slugs ignore case)' } })
  return parsed
}

export interface UpsertResult {
  survey: SurveyRow
  created: boolean
  /** Set when this call generated the survey's webhook secret: the only time it is ever shown. */
  generatedWebhookSecret?: string
}

/**
 * Creates or updates surveys by slug (ignoring case). Omitted fields keep their stored value, or the
 * default for a new survey. Everything is validated before anything is written, and all surveys of one
 * call are written in one transaction: a bad entry changes nothing.
 */
export function upsertSurveys(db: Db, input: unknown, options: UpsertOptions = {}): UpsertResult[] {
  const inputs = parseSurveyInputs(input)
  const errors = fieldErrors()
  const plans = inputs.map((survey, index) => {
    const existing = findSurveyBySlug(db, survey.slug)
    const merged = { ...(existing ?? surveyDefaults), ...survey } as Partial<MergedSurvey>
    if (existing) merged.slug = existing.slug
    let generatedWebhookSecret: string | undefined
    if (!merged.webhookSecret && merged.notifications?.length) merged.webhookSecret = generatedWebhookSecret = generateWebhookSecret()
    const prefix = Array.isArray(input) ? `${index}.` : ''
    for (const [field, error] of Object.entries(crossFieldErrors(merged, !existing, options))) errors[prefix + field] = error
    return { existing, merged, generatedWebhookSecret }
  })
  if (Object.keys(errors).length) throw badRequest('The survey is not valid.', errors)

  localSurveyWrites++
  return db.transaction((tx) => {
    return plans.map(({ existing, merged, generatedWebhookSecret }, index) => {
      const { slug: _slug, ...values } = merged
      const survey = existing
        ? tx.update(surveys).set(values).where(eq(surveys.id, existing.id)).returning().get()
        : tx.insert(surveys)
            .values({ ...values, slug: merged.slug!, name: merged.name!, supportEmail: merged.supportEmail! })
            .returning().get()
      const result: UpsertResult = { survey, created: !existing, generatedWebhookSecret }
      if (options.audit) audit(tx, options.audit.actor, result.created ? 'survey.create' : 'survey.update', result.survey.slug, options.audit.details(result, index))
      return result
    })
  }, { behavior: 'immediate' })
}

export function upsertSurvey(db: Db, input: unknown, options?: UpsertOptions): UpsertResult {
  if (Array.isArray(input)) throw badRequest('Expected one survey object.')
  return upsertSurveys(db, input, options)[0]!
}

/** Survey fields whose values are secrets: audited only as changed, never by value. */
export const SURVEY_SECRET_FIELDS = ['genUserKey', 'webhookSecret']

/**
 * Creates or updates one survey for the admin API: saved with the CLI's validation (`input`, by default
 * the body), audited in the same transaction by the fields the request named (`body`; secrets only as
 * changed), answered as the admin view plus a webhook secret generated now.
 */
export function saveSurveyAsAdmin(
  db: Db,
  actor: Actor,
  body: Record<string, unknown>,
  options: { input?: Record<string, unknown>, allowPrivateWebhooks?: boolean } = {},
) {
  const { survey, generatedWebhookSecret } = upsertSurvey(db, options.input ?? body, {
    allowPrivateWebhooks: options.allowPrivateWebhooks ?? false,
    audit: {
      actor,
      details: ({ created }) => ({
        fields: Object.keys(body).filter(key => !SURVEY_SECRET_FIELDS.includes(key)),
        ...(created ? {} : { secretsChanged: SURVEY_SECRET_FIELDS.filter(key => key in body) }),
      }),
    },
  })
  return { ...adminSurveyView(survey), ...(generatedWebhookSecret ? { generatedWebhookSecret } : {}) }
}

/**
 * Deletes a survey with everything in it; refused while it has respondents unless forced. Audited in the
 * same transaction. Returns how many respondents went.
 */
export function deleteSurvey(db: Db, survey: SurveyRow, force: boolean, actor: Actor): number {
  localSurveyWrites++
  return db.transaction((tx) => {
    const userIds = tx.select({ userId: respondents.userId }).from(respondents)
      .where(eq(respondents.surveyId, survey.id)).all().map(row => row.userId)
    if (userIds.length && !force) throw conflict(`The survey has ${userIds.length} respondent(s). Delete with ?force=true to remove them too.`)
    if (userIds.length) tx.delete(users).where(inArray(users.id, userIds)).run()
    tx.delete(surveys).where(eq(surveys.id, survey.id)).run()
    audit(tx, actor, 'survey.delete', survey.slug, { force, respondentsRemoved: userIds.length })
    return userIds.length
  }, { behavior: 'immediate' })
}
