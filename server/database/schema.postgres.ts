// Generated from schema.ts by scripts/postgres-schema.mjs (`npm run db:generate`): edit schema.ts, not this file.
// The same tables, columns and indexes under the same names; timestamps are timestamptz, flags boolean,
// JSON jsonb, so both engines hand the services the same JavaScript values (Date, boolean, parsed JSON).
import { sql } from 'drizzle-orm'
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import type { LanguageCode } from '../../i18n/languages'
import type { JwtPolicy, NotificationTarget, SurveyScheme } from '#shared/schemas/survey'

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().$defaultFn(() => new Date()),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().$defaultFn(() => new Date()).$onUpdateFn(() => new Date()),
}

export const surveys = pgTable('surveys', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  slug: text('slug').notNull(),
  name: text('name').notNull(),
  localeId: text('locale_id').notNull().default('en_GB'),
  originatingUrl: text('originating_url'),
  supportEmail: text('support_email').notNull(),
  state: text('state', { enum: ['notStarted', 'active', 'suspended', 'completed'] }).notNull().default('notStarted'),
  startDate: timestamp('start_date', { withTimezone: true, mode: 'date' }),
  endDate: timestamp('end_date', { withTimezone: true, mode: 'date' }),
  suspensionReason: text('suspension_reason'),
  allowGenUsers: boolean('allow_gen_users').notNull().default(false),
  genUserKey: text('gen_user_key'),
  authCaptcha: boolean('auth_captcha').notNull().default(false),
  authModes: jsonb('auth_modes').$type<('username' | 'token')[]>().notNull().default(['username', 'token']),
  authUrlTokenLength: integer('auth_url_token_length').notNull().default(32),
  authUrlTokenCharset: text('auth_url_token_charset'),
  authUrlDomainOverride: text('auth_url_domain_override'),
  userPersonalIdentifiers: boolean('user_personal_identifiers').notNull().default(false),
  userCustomFields: boolean('user_custom_fields').notNull().default(false),
  maximumDailySubmissions: integer('maximum_daily_submissions').notNull().default(3),
  maximumTotalSubmissions: integer('maximum_total_submissions'),
  minimumSubmissionInterval: integer('minimum_submission_interval').notNull().default(600),
  feedbackEnabled: boolean('feedback_enabled').notNull().default(false),
  allowedRedirectOrigins: jsonb('allowed_redirect_origins').$type<string[]>().notNull().default([]),
  languages: jsonb('languages').$type<LanguageCode[]>(),
  jwtPolicy: jsonb('jwt_policy').$type<JwtPolicy>().notNull().default({}),
  scheme: jsonb('scheme').$type<SurveyScheme>().notNull().default({}),
  notifications: jsonb('notifications').$type<NotificationTarget[]>().notNull().default([]),
  webhookSecret: text('webhook_secret'),
  // Next number for generate-user usernames (slug + counter); incremented inside the insert's transaction.
  generatedUserCounter: integer('generated_user_counter').notNull().default(0),
  ...timestamps,
}, table => [
  uniqueIndex('surveys_slug_lower_unique').on(sql`lower(${table.slug})`),
])

export const users = pgTable('users', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  name: text('name'),
  disabled: boolean('disabled').notNull().default(false),
  ...timestamps,
})

export const respondents = pgTable('respondents', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  surveyId: integer('survey_id').notNull().references(() => surveys.id, { onDelete: 'cascade' }),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  username: text('username').notNull(),
  passwordHash: text('password_hash'),
  authToken: text('auth_token').notNull(),
  redirectUrl: text('redirect_url'),
  ...timestamps,
}, table => [
  uniqueIndex('respondents_survey_username_unique').on(table.surveyId, table.username),
  uniqueIndex('respondents_auth_token_unique').on(table.authToken),
  index('respondents_user_idx').on(table.userId),
])

export const userCustomFields = pgTable('user_custom_fields', {
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  value: text('value').notNull(),
  public: boolean('public').notNull().default(false),
}, table => [
  primaryKey({ columns: [table.userId, table.name] }),
])

/** Server-wide values created on first start (the access-token signing secret, the seed marker). */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
})

/** Refresh sessions: one row per issued refresh token; a family is one sign-in and its rotations. */
export const refreshSessions = pgTable('refresh_sessions', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  familyId: text('family_id').notNull(),
  respondentId: integer('respondent_id').notNull().references(() => respondents.id, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  rotatedAt: timestamp('rotated_at', { withTimezone: true, mode: 'date' }),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().$defaultFn(() => new Date()),
}, table => [
  uniqueIndex('refresh_sessions_token_hash_unique').on(table.tokenHash),
  index('refresh_sessions_family_idx').on(table.familyId),
  index('refresh_sessions_respondent_idx').on(table.respondentId),
])

/** `jti`s of single-use partner tokens, kept until the token would have expired anyway. */
export const usedTokenIds = pgTable('used_token_ids', {
  surveyId: integer('survey_id').notNull().references(() => surveys.id, { onDelete: 'cascade' }),
  jti: text('jti').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
}, table => [
  primaryKey({ columns: [table.surveyId, table.jti] }),
  index('used_token_ids_expires_idx').on(table.expiresAt),
])

/** Fixed-window counters shared by every server process on the database. */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: timestamp('window_start', { withTimezone: true, mode: 'date' }).notNull(),
  count: integer('count').notNull(),
}, table => [
  index('rate_limits_window_idx').on(table.windowStart),
])

export type SurveyRow = typeof surveys.$inferSelect
export type NewSurveyRow = typeof surveys.$inferInsert
export type RespondentRow = typeof respondents.$inferSelect
export type UserRow = typeof users.$inferSelect

/** A respondent's recall in progress (at most one active per respondent and survey). */
export const recallSessions = pgTable('recall_sessions', {
  id: text('id').primaryKey(),
  surveyId: integer('survey_id').notNull().references(() => surveys.id, { onDelete: 'cascade' }),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  state: text('state', { enum: ['active', 'cancelled', 'submitted'] }).notNull().default('active'),
  data: jsonb('data').$type<unknown>().notNull().default({}),
  startTime: timestamp('start_time', { withTimezone: true, mode: 'date' }).notNull(),
  endTime: timestamp('end_time', { withTimezone: true, mode: 'date' }),
  ...timestamps,
}, table => [
  uniqueIndex('recall_sessions_one_active').on(table.surveyId, table.userId).where(sql`${table.state} = 'active'`),
])

export const submissions = pgTable('submissions', {
  id: text('id').primaryKey(),
  surveyId: integer('survey_id').notNull().references(() => surveys.id, { onDelete: 'cascade' }),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  sessionId: text('session_id').notNull(),
  startTime: timestamp('start_time', { withTimezone: true, mode: 'date' }).notNull(),
  endTime: timestamp('end_time', { withTimezone: true, mode: 'date' }).notNull(),
  submissionTime: timestamp('submission_time', { withTimezone: true, mode: 'date' }).notNull(),
  followUpUrl: text('follow_up_url'),
}, table => [
  uniqueIndex('submissions_session_unique').on(table.sessionId),
  index('submissions_user_time_idx').on(table.surveyId, table.userId, table.submissionTime),
])

/** The columns of a row that is one of an ordered list inside its parent (a meal of a submission, a food of a meal). */
const listItem = () => ({
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  position: integer('position').notNull(),
})

export const submissionMeals = pgTable('submission_meals', {
  ...listItem(),
  submissionId: text('submission_id').notNull().references(() => submissions.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  time: text('time'),
  skipped: boolean('skipped').notNull().default(false),
}, table => [
  index('submission_meals_submission_idx').on(table.submissionId),
])

export const submissionFoods = pgTable('submission_foods', {
  ...listItem(),
  mealId: integer('meal_id').notNull().references(() => submissionMeals.id, { onDelete: 'cascade' }),
  description: text('description').notNull(),
  amount: text('amount'),
  unit: text('unit'),
  drink: boolean('drink').notNull().default(false),
}, table => [
  index('submission_foods_meal_idx').on(table.mealId),
])

/**
 * The outbox: every survey event, written in the same transaction as the change it reports.
 * Deliveries (one per configured webhook target) are made from it by the notifications worker.
 */
export const surveyEvents = pgTable('survey_events', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  type: text('type').notNull(),
  surveyId: integer('survey_id').notNull().references(() => surveys.id, { onDelete: 'cascade' }),
  userId: integer('user_id').notNull(),
  sessionId: text('session_id'),
  submissionId: text('submission_id'),
  /** The webhook body, fixed when the event happens so every retry sends the same bytes. */
  payload: text('payload').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().$defaultFn(() => new Date()),
}, table => [
  index('survey_events_survey_idx').on(table.surveyId, table.createdAt),
])

export const webhookDeliveries = pgTable('webhook_deliveries', {
  id: text('id').primaryKey(),
  eventId: integer('event_id').notNull().references(() => surveyEvents.id, { onDelete: 'cascade' }),
  surveyId: integer('survey_id').notNull().references(() => surveys.id, { onDelete: 'cascade' }),
  userId: integer('user_id').notNull(),
  url: text('url').notNull(),
  status: text('status', { enum: ['pending', 'delivered', 'failed'] }).notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).notNull(),
  lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
  lastError: text('last_error'),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().$defaultFn(() => new Date()),
  deliveredAt: timestamp('delivered_at', { withTimezone: true, mode: 'date' }),
}, table => [
  index('webhook_deliveries_due_idx').on(table.status, table.nextAttemptAt),
  index('webhook_deliveries_user_idx').on(table.userId, table.createdAt),
])

export const webhookAttempts = pgTable('webhook_attempts', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  deliveryId: text('delivery_id').notNull().references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
  startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull(),
  durationMs: integer('duration_ms').notNull(),
  statusCode: integer('status_code'),
  error: text('error'),
  responseSnippet: text('response_snippet'),
}, table => [
  index('webhook_attempts_delivery_idx').on(table.deliveryId),
])

/** Personal access tokens for the admin API: only a SHA-256 digest of the secret part is kept. */
export const personalAccessTokens = pgTable('personal_access_tokens', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  name: text('name').notNull(),
  secretHash: text('secret_hash').notNull(),
  scopes: jsonb('scopes').$type<string[]>().notNull(),
  /** The surveys (slugs, lower case) the token may see; null: every survey. */
  surveys: jsonb('surveys').$type<string[]>(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().$defaultFn(() => new Date()),
})

/** Who changed what through the admin API, and when. */
export const auditLog = pgTable('audit_log', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  tokenId: integer('token_id'),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  target: text('target').notNull(),
  /** The survey (slug, lower case) the change concerns; null for accounts, tokens and the like. */
  survey: text('survey'),
  details: jsonb('details').$type<Record<string, unknown>>(),
  at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().$defaultFn(() => new Date()),
}, table => [
  index('audit_log_at_idx').on(table.at),
  index('audit_log_survey_idx').on(table.survey, table.id),
])

/** The survey team's console accounts (`npm run cli -- admins:create`). */
export const adminAccounts = pgTable('admin_accounts', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  /** Lower case; unique. */
  email: text('email').notNull(),
  name: text('name').notNull(),
  role: text('role', { enum: ['owner', 'staff'] }).notNull(),
  /** The surveys (slugs, lower case) a staff account may see; null: every survey. */
  surveys: jsonb('surveys').$type<string[]>(),
  /** argon2id; null until the one-time set-password link is used. */
  passwordHash: text('password_hash'),
  /** SHA-256 of the one-time set-password token, and when it stops working. */
  passwordTokenHash: text('password_token_hash'),
  passwordTokenExpiresAt: timestamp('password_token_expires_at', { withTimezone: true, mode: 'date' }),
  /** Base32 TOTP secret; enabled only once a code from it was confirmed. */
  totpSecret: text('totp_secret'),
  totpEnabledAt: timestamp('totp_enabled_at', { withTimezone: true, mode: 'date' }),
  /** SHA-256 of each unused recovery code. */
  recoveryCodeHashes: jsonb('recovery_code_hashes').$type<string[]>(),
  /** The last TOTP time step accepted: a code is good once. */
  totpLastStep: integer('totp_last_step'),
  disabledAt: timestamp('disabled_at', { withTimezone: true, mode: 'date' }),
  ...timestamps,
}, table => [
  uniqueIndex('admin_accounts_email_unique').on(table.email),
  uniqueIndex('admin_accounts_password_token_unique').on(table.passwordTokenHash),
])

/** Console sign-ins: an HttpOnly cookie holds the token, the database its SHA-256. */
export const adminSessions = pgTable('admin_sessions', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  accountId: integer('account_id').notNull().references(() => adminAccounts.id, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull(),
  /** Sent back by the console in `X-CSRF-Token` on every state-changing request. */
  csrfToken: text('csrf_token').notNull(),
  /** `password`: the second factor is still to come; `enrol`: it must be set up first; `active`: signed in. */
  stage: text('stage', { enum: ['password', 'enrol', 'active'] }).notNull(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().$defaultFn(() => new Date()),
}, table => [
  uniqueIndex('admin_sessions_token_unique').on(table.tokenHash),
  index('admin_sessions_account_idx').on(table.accountId),
])

export type AdminAccountRow = typeof adminAccounts.$inferSelect
export type AdminSessionRow = typeof adminSessions.$inferSelect
