import { randomBytes } from 'node:crypto'
import { asc, eq, inArray, sql } from 'drizzle-orm'
import { externalDataVersion, read, tables, transaction, type Db, type Tx } from '#server/database'
import { PROCESS_NOTIFY_ID, SURVEYS_CHANNEL } from '#server/database/postgres-engine'
import type { SurveyRow } from '#server/database/schema'
import { engineSql, exec, first, rows, type Steps } from '#server/database/steps'
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
import { auditIn, type Actor } from './audit'

export const AUTH_TOKEN_DEFAULT_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

const isSlug = (slug: unknown): slug is string => typeof slug === 'string' && SLUG_PATTERN.test(slug)

/** Looks a survey up by slug ignoring case (never as a pattern). Anything that is not a valid slug matches nothing. */
export function* surveyBySlugIn(db: Db | Tx, slug: string): Steps<SurveyRow | undefined> {
  if (!isSlug(slug)) return undefined
  const { surveys } = tables(db)
  return yield* first(db.select().from(surveys).where(sql`lower(${surveys.slug}) = ${slug.toLowerCase()}`))
}

/** Read from the database every time: for changes (admin API, CLI), which must start from the stored row. */
export const findSurveyBySlug = (db: Db, slug: string) => read(db, db => surveyBySlugIn(db, slug))

interface SurveyRowCache { version: string, at: number, rows: Map<string, Readonly<SurveyRow>> }
const surveyRowCaches = new WeakMap<Db, SurveyRowCache>()
const SURVEY_ROW_MAX_AGE_MS = 5000
const MAX_CACHED_SURVEYS = 1000

/**
 * A survey for a respondent's or a partner's request, kept between requests (every create-user,
 * sign-in and recall call names one): dropped as soon as any survey changes, in this process or another
 * (`surveysVersion`), and after 5 s. Rows are shared between requests: never change one.
 */
async function cachedSurvey(db: Db, key: string, load: () => Promise<SurveyRow | undefined>) {
  const version = surveysVersion(db)
  const now = Date.now()
  let cache = surveyRowCaches.get(db)
  if (!cache || cache.version !== version || now - cache.at > SURVEY_ROW_MAX_AGE_MS) {
    surveyRowCaches.set(db, cache = { version, at: now, rows: new Map() })
  }
  const cached = cache.rows.get(key)
  if (cached) return cached
  const survey = await load()
  // Kept only if no survey changed while it was read; a key that names no survey is not kept.
  if (survey && surveysVersion(db) === version && cache.rows.size < MAX_CACHED_SURVEYS) cache.rows.set(key, survey)
  return survey
}

export const cachedSurveyBySlug = (db: Db, slug: string): Promise<Readonly<SurveyRow> | undefined> =>
  isSlug(slug) ? cachedSurvey(db, `slug:${slug.toLowerCase()}`, () => findSurveyBySlug(db, slug)) : Promise.resolve(undefined)

export const cachedSurveyById = (db: Db, id: number): Promise<Readonly<SurveyRow> | undefined> =>
  cachedSurvey(db, `id:${id}`, () => findSurveyById(db, id))

/** The survey with this slug (ignoring case), from the cache above; 404 "Survey not found." when there is none. */
export async function requireSurvey(db: Db, slug: string): Promise<SurveyRow> {
  const survey = await cachedSurveyBySlug(db, slug)
  if (!survey) throw notFound('Survey not found.')
  return survey
}

export function* surveyByIdIn(db: Db | Tx, id: number): Steps<SurveyRow | undefined> {
  const { surveys } = tables(db)
  return yield* first(db.select().from(surveys).where(eq(surveys.id, id)))
}

export const findSurveyById = (db: Db, id: number) => read(db, db => surveyByIdIn(db, id))

export function listSurveys(db: Db): Promise<SurveyRow[]> {
  return read(db, function* (db) {
    const { surveys } = tables(db)
    return yield* rows(db.select().from(surveys).orderBy(asc(surveys.name), asc(surveys.id)))
  })
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
async function publicEntries(db: Db, now: Date): Promise<PublicCache> {
  const dataVersion = externalDataVersion(db)
  const localWrites = localSurveyWrites
  const cached = publicCache.get(db)
  const unchanged = cached?.dataVersion === dataVersion && cached.localWrites === localWrites
  if (cached && unchanged && now.getTime() - cached.at < PUBLIC_LIST_MAX_AGE_MS) return cached
  const all = await listSurveys(db)
  const fresh = {
    dataVersion,
    localWrites,
    at: now.getTime(),
    list: all.filter(survey => isListed(survey, now)).map(publicSurveyEntry),
    bySlug: new Map(all.map(survey => [survey.slug.toLowerCase(), publicSurveyEntry(survey)])),
  }
  publicCache.set(db, fresh)
  return fresh
}

export const publicSurveyList = async (db: Db, now = new Date()): Promise<PublicSurveyEntry[]> => (await publicEntries(db, now)).list

export async function publicSurveyBySlug(db: Db, slug: string, now = new Date()): Promise<PublicSurveyEntry | undefined> {
  if (!isSlug(slug)) return undefined
  return (await publicEntries(db, now)).bySlug.get(slug.toLowerCase())
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

export interface SurveyPlan { existing?: SurveyRow, merged: Partial<MergedSurvey>, generatedWebhookSecret?: string }

/**
 * Checks surveys to create or update (`existing` holds the stored ones by lower-case slug) and says
 * what each will be once written. Throws 400 naming every bad field; writes nothing.
 */
export function planSurveyUpserts(
  input: unknown,
  existing: Map<string, SurveyRow>,
  options: UpsertOptions = {},
  inputs = parseSurveyInputs(input),
): SurveyPlan[] {
  const errors = fieldErrors()
  const plans = inputs.map((survey, index) => {
    const stored = existing.get(survey.slug.toLowerCase())
    const merged = { ...(stored ?? surveyDefaults), ...survey } as Partial<MergedSurvey>
    if (stored) merged.slug = stored.slug
    let generatedWebhookSecret: string | undefined
    if (!merged.webhookSecret && merged.notifications?.length) merged.webhookSecret = generatedWebhookSecret = generateWebhookSecret()
    const prefix = Array.isArray(input) ? `${index}.` : ''
    for (const [field, error] of Object.entries(crossFieldErrors(merged, !stored, options))) errors[prefix + field] = error
    return { existing: stored, merged, generatedWebhookSecret }
  })
  if (Object.keys(errors).length) throw badRequest('The survey is not valid.', errors)
  return plans
}

/**
 * Every survey change goes through here (or `deleteSurvey`): this process's caches are dropped at once,
 * and on PostgreSQL a NOTIFY, sent when the transaction commits, tells every other server.
 */
function* surveysChangedIn(): Steps<void> {
  localSurveyWrites++
  yield* engineSql({ postgres: sql.raw(`NOTIFY ${SURVEYS_CHANNEL}, '${PROCESS_NOTIFY_ID}'`) })
}

/**
 * A transaction that may change surveys. The caches are dropped once more when it has ended: a row read
 * while it ran (before its commit) may be the old one and must not be kept.
 */
export async function changingSurveys<T>(db: Db, steps: (tx: Tx) => Steps<T>): Promise<T> {
  try {
    return await transaction(db, steps)
  }
  finally {
    localSurveyWrites++
  }
}

/** Writes the planned surveys inside the caller's transaction, each with its audit row when asked. */
export function* writeSurveysIn(tx: Tx, plans: SurveyPlan[], options: UpsertOptions): Steps<UpsertResult[]> {
  const { surveys } = tables(tx)
  const results: UpsertResult[] = []
  for (const [index, { existing, merged, generatedWebhookSecret }] of plans.entries()) {
    const { slug: _slug, ...values } = merged
    const survey = existing
      ? yield* first(tx.update(surveys).set(values).where(eq(surveys.id, existing.id)).returning())
      : yield* first(tx.insert(surveys)
        .values({ ...values, slug: merged.slug!, name: merged.name!, supportEmail: merged.supportEmail! })
        .returning())
    const result: UpsertResult = { survey: survey!, created: !existing, generatedWebhookSecret }
    if (options.audit) yield* auditIn(tx, options.audit.actor, result.created ? 'survey.create' : 'survey.update', result.survey.slug, options.audit.details(result, index), result.survey.slug)
    results.push(result)
  }
  yield* surveysChangedIn()
  return results
}

/**
 * Creates or updates surveys by slug (ignoring case). Omitted fields keep their stored value, or the
 * default for a new survey. Everything is validated before anything is written, and all surveys of one
 * call are written in one transaction: a bad entry changes nothing.
 */
export async function upsertSurveys(db: Db, input: unknown, options: UpsertOptions = {}): Promise<UpsertResult[]> {
  const inputs = parseSurveyInputs(input)
  const existing = new Map<string, SurveyRow>()
  for (const survey of inputs) {
    const stored = await findSurveyBySlug(db, survey.slug)
    if (stored) existing.set(survey.slug.toLowerCase(), stored)
  }
  const plans = planSurveyUpserts(input, existing, options, inputs)
  return changingSurveys(db, tx => writeSurveysIn(tx, plans, options))
}

export async function upsertSurvey(db: Db, input: unknown, options?: UpsertOptions): Promise<UpsertResult> {
  if (Array.isArray(input)) throw badRequest('Expected one survey object.')
  return (await upsertSurveys(db, input, options))[0]!
}

/** Survey fields whose values are secrets: audited only as changed, never by value. */
export const SURVEY_SECRET_FIELDS = ['genUserKey', 'webhookSecret']

/**
 * Creates or updates one survey for the admin API: saved with the CLI's validation (`input`, by default
 * the body), audited in the same transaction by the fields the request named (`body`; secrets only as
 * changed), answered as the admin view plus a webhook secret generated now.
 */
export async function saveSurveyAsAdmin(
  db: Db,
  actor: Actor,
  body: Record<string, unknown>,
  options: { input?: Record<string, unknown>, allowPrivateWebhooks?: boolean } = {},
) {
  const { survey, generatedWebhookSecret } = await upsertSurvey(db, options.input ?? body, {
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

export type SurveySecretKind = 'jwt' | 'webhook'

/**
 * A new random secret for the survey, replacing the old one at once: `jwt`, the key partners sign
 * create-user tokens with (`genUserKey`, 43 base64url characters); `webhook`, the Standard Webhooks
 * signing secret (`whsec_…`). Returned this once; audited (without it) in the same transaction.
 */
export async function rotateSurveySecret(db: Db, survey: SurveyRow, kind: SurveySecretKind, actor: Actor, now = new Date()) {
  const secret = kind === 'jwt' ? randomBytes(32).toString('base64url') : generateWebhookSecret()
  const column = kind === 'jwt' ? { genUserKey: secret } : { webhookSecret: secret }
  await changingSurveys(db, function* (tx) {
    const { surveys } = tables(tx)
    yield* exec(tx.update(surveys).set({ ...column, updatedAt: now }).where(eq(surveys.id, survey.id)))
    yield* auditIn(tx, actor, 'survey.rotate-secret', survey.slug, { kind }, survey.slug)
    yield* surveysChangedIn()
  })
  return { kind, secret }
}

/**
 * Deletes a survey with everything in it; refused while it has respondents unless forced. Audited in the
 * same transaction. Returns how many respondents went.
 */
export async function deleteSurvey(db: Db, survey: SurveyRow, force: boolean, actor: Actor): Promise<number> {
  return changingSurveys(db, function* (tx) {
    const { respondents, surveys, users } = tables(tx)
    const userIds = (yield* rows(tx.select({ userId: respondents.userId }).from(respondents)
      .where(eq(respondents.surveyId, survey.id)))).map(row => row.userId)
    if (userIds.length && !force) throw conflict(`The survey has ${userIds.length} respondent(s). Delete with ?force=true to remove them too.`)
    if (userIds.length) yield* exec(tx.delete(users).where(inArray(users.id, userIds)))
    yield* exec(tx.delete(surveys).where(eq(surveys.id, survey.id)))
    yield* auditIn(tx, actor, 'survey.delete', survey.slug, { force, respondentsRemoved: userIds.length }, survey.slug)
    yield* surveysChangedIn()
    return userIds.length
  })
}
