import { z } from 'zod'
import { LANGUAGES } from '../../i18n/languages'

export const SLUG_PATTERN = /^[A-Za-z0-9_-]{1,128}$/
/** Slugs that would shadow the app's own paths (/a/{token}, /admin, /api, /docs, Nuxt's assets). */
export const RESERVED_SLUGS = ['a', 'admin', 'api', 'docs', '_nuxt', '_i18n', '__nuxt_error', '__nuxt_island', 'favicon.ico']
export const surveyStates = ['notStarted', 'active', 'suspended', 'completed'] as const
export const authModes = ['username', 'token'] as const
export const notificationTypes = [
  'survey.session.started',
  'survey.session.cancelled',
  'survey.session.submitted',
  'survey.respondent.created',
] as const
export const DEFAULT_MEALS = ['Breakfast', 'Morning snack', 'Lunch', 'Afternoon snack', 'Dinner', 'Evening snack']
export const MIN_GEN_USER_KEY_LENGTH = 32
export const MIN_AUTH_TOKEN_BITS = 128

export type SurveyState = typeof surveyStates[number]
export type AuthMode = typeof authModes[number]
export type NotificationType = typeof notificationTypes[number]

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  }
  catch {
    return false
  }
}

const httpUrl = z.string().trim().max(2048).refine(isHttpUrl, 'must be an absolute http(s) URL')

/** `scheme://host[:port]` exactly as `new URL(...).origin` writes it. */
export const originSchema = z.string().trim().max(512).refine((value) => {
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value
  }
  catch {
    return false
  }
}, 'must be an origin such as https://example.org (scheme, host and optional port, no path or trailing slash)')

const dateInput = z.union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'must be an ISO 8601 date or date-time' })
  .transform(value => new Date(value))

export const jwtPolicySchema = z.strictObject({
  requireExp: z.boolean().optional(),
  maxLifetimeSeconds: z.number().int().positive().max(366 * 24 * 3600).nullable().optional(),
  audience: z.union([z.string().min(1).max(512), z.array(z.string().min(1).max(512)).min(1).max(16)]).nullable().optional(),
  issuer: z.string().min(1).max(512).nullable().optional(),
  singleUse: z.boolean().optional(),
})
export type JwtPolicy = z.infer<typeof jwtPolicySchema>

export const redirectIdentifierSchema = z.string().min(1).max(128)
export const surveyRedirectSchema = z.strictObject({
  url: httpUrl,
  identifier: redirectIdentifierSchema.default('userId'),
  timer: z.number().int().min(-1).max(3600).default(0),
  target: z.enum(['_self', '_blank']).default('_self'),
})

export const surveySchemeSchema = z.strictObject({
  meals: z.array(z.string().trim().min(1).max(64)).min(1).max(20).optional(),
  redirect: surveyRedirectSchema.nullable().optional(),
})
export type SurveyScheme = z.infer<typeof surveySchemeSchema>

export const notificationTargetSchema = z.strictObject({
  type: z.enum(notificationTypes),
  url: httpUrl,
})
export type NotificationTarget = z.infer<typeof notificationTargetSchema>

export const WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/

/**
 * A survey as an administrator writes it (CLI file, admin API). Every field but `slug` is optional
 * so that an update names only what changes; `surveyCreateRequirements` adds what a new survey needs.
 */
export const surveyInputSchema = z.strictObject({
  slug: z.string().regex(SLUG_PATTERN, 'must be 1-128 characters of A-Z, a-z, 0-9, _ or -')
    .refine(slug => !RESERVED_SLUGS.includes(slug.toLowerCase()), 'is reserved for the app\'s own pages'),
  name: z.string().trim().min(1).max(512),
  localeId: z.string().regex(/^[a-z]{2,3}(?:[_-][A-Za-z]{2,4})?$/, 'must be a locale such as en_GB'),
  originatingUrl: httpUrl.nullable(),
  supportEmail: z.email().max(512),
  state: z.enum(surveyStates),
  startDate: dateInput.nullable(),
  endDate: dateInput.nullable(),
  suspensionReason: z.string().trim().max(512).nullable(),
  allowGenUsers: z.boolean(),
  genUserKey: z.string().min(MIN_GEN_USER_KEY_LENGTH, `must be at least ${MIN_GEN_USER_KEY_LENGTH} characters`).max(512).nullable(),
  authCaptcha: z.boolean(),
  authModes: z.array(z.enum(authModes)).min(1).max(2).refine(modes => new Set(modes).size === modes.length, 'must not repeat a mode'),
  authUrlTokenLength: z.number().int().min(24).max(128),
  authUrlTokenCharset: z.string().min(2).max(256)
    .refine(charset => new Set(charset).size === charset.length, 'must not repeat a character')
    .refine(charset => /^[\x21-\x7E]+$/.test(charset), 'must be printable ASCII without spaces')
    .refine(charset => !/[/?#%&+=\\]/.test(charset), 'must not contain URL-reserved characters (/ ? # % & + = \\)')
    .nullable(),
  authUrlDomainOverride: originSchema.nullable(),
  userPersonalIdentifiers: z.boolean(),
  userCustomFields: z.boolean(),
  maximumDailySubmissions: z.number().int().min(1).max(1000),
  maximumTotalSubmissions: z.number().int().min(1).max(100000).nullable(),
  minimumSubmissionInterval: z.number().int().min(0).max(365 * 24 * 3600),
  feedbackEnabled: z.boolean(),
  allowedRedirectOrigins: z.array(originSchema).max(32),
  /** The languages respondents may pick on the survey's pages; null: every language the app has. */
  languages: z.array(z.enum(LANGUAGES.map(language => language.code), { error: `must be one of ${LANGUAGES.map(language => language.code).join(', ')}` }))
    .min(1, 'name at least one language, or null for all')
    .refine(codes => new Set(codes).size === codes.length, 'must not repeat a language')
    .nullable(),
  jwtPolicy: jwtPolicySchema,
  scheme: surveySchemeSchema,
  notifications: z.array(notificationTargetSchema).max(32),
  webhookSecret: z.string().regex(WEBHOOK_SECRET_PATTERN, 'must be a Standard Webhooks secret: whsec_ followed by base64 of at least 24 bytes').nullable(),
}).partial().required({ slug: true })
export type SurveyInput = z.infer<typeof surveyInputSchema>
/** An update names only the fields that change; the survey is the one in the path. */
export const surveyUpdateSchema = surveyInputSchema.partial()

export const publicSurveyEntrySchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  localeId: z.string(),
  originatingUrl: z.string().nullable(),
  supportEmail: z.string(),
  openAccess: z.boolean(),
  authCaptcha: z.boolean(),
  authModes: z.array(z.enum(authModes)),
  /** The languages its respondents may pick, only when the survey limits them (the entry stays Intake24's otherwise). */
  languages: z.array(z.string()).optional(),
})
export type PublicSurveyEntry = z.infer<typeof publicSurveyEntrySchema>
/** The open-access surveys, sorted by name. */
export const publicSurveyListSchema = z.array(publicSurveyEntrySchema)

export const surveyAvailabilitySchema = z.object({
  state: z.enum(surveyStates),
  suspensionReason: z.string().nullable(),
  acceptingRespondents: z.boolean(),
  message: z.string().nullable(),
})
export type SurveyAvailability = z.infer<typeof surveyAvailabilitySchema>
