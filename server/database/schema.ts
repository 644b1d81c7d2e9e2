import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import type { JwtPolicy, NotificationTarget, SurveyScheme } from '../../shared/schemas/survey'

const timestamps = {
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().$defaultFn(() => new Date()),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull().$defaultFn(() => new Date()).$onUpdateFn(() => new Date()),
}

export const surveys = sqliteTable('surveys', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  slug: text('slug').notNull(),
  name: text('name').notNull(),
  localeId: text('locale_id').notNull().default('en_GB'),
  originatingUrl: text('originating_url'),
  supportEmail: text('support_email').notNull(),
  state: text('state', { enum: ['notStarted', 'active', 'suspended', 'completed'] }).notNull().default('notStarted'),
  startDate: integer('start_date', { mode: 'timestamp_ms' }),
  endDate: integer('end_date', { mode: 'timestamp_ms' }),
  suspensionReason: text('suspension_reason'),
  allowGenUsers: integer('allow_gen_users', { mode: 'boolean' }).notNull().default(false),
  genUserKey: text('gen_user_key'),
  authCaptcha: integer('auth_captcha', { mode: 'boolean' }).notNull().default(false),
  authModes: text('auth_modes', { mode: 'json' }).$type<('username' | 'token')[]>().notNull().default(sql`'["username","token"]'`),
  authUrlTokenLength: integer('auth_url_token_length').notNull().default(32),
  authUrlTokenCharset: text('auth_url_token_charset'),
  authUrlDomainOverride: text('auth_url_domain_override'),
  userPersonalIdentifiers: integer('user_personal_identifiers', { mode: 'boolean' }).notNull().default(false),
  userCustomFields: integer('user_custom_fields', { mode: 'boolean' }).notNull().default(false),
  maximumDailySubmissions: integer('maximum_daily_submissions').notNull().default(3),
  maximumTotalSubmissions: integer('maximum_total_submissions'),
  minimumSubmissionInterval: integer('minimum_submission_interval').notNull().default(600),
  feedbackEnabled: integer('feedback_enabled', { mode: 'boolean' }).notNull().default(false),
  allowedRedirectOrigins: text('allowed_redirect_origins', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
  jwtPolicy: text('jwt_policy', { mode: 'json' }).$type<JwtPolicy>().notNull().default(sql`'{}'`),
  scheme: text('scheme', { mode: 'json' }).$type<SurveyScheme>().notNull().default(sql`'{}'`),
  notifications: text('notifications', { mode: 'json' }).$type<NotificationTarget[]>().notNull().default(sql`'[]'`),
  webhookSecret: text('webhook_secret'),
  // Next number for generate-user usernames (slug + counter); incremented inside the insert's transaction.
  generatedUserCounter: integer('generated_user_counter').notNull().default(0),
  ...timestamps,
}, table => [
  uniqueIndex('surveys_slug_lower_unique').on(sql`lower(${table.slug})`),
])

export const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name'),
  disabled: integer('disabled', { mode: 'boolean' }).notNull().default(false),
  ...timestamps,
})

export const respondents = sqliteTable('respondents', {
  id: integer('id').primaryKey({ autoIncrement: true }),
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

export const userCustomFields = sqliteTable('user_custom_fields', {
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  value: text('value').notNull(),
  public: integer('public', { mode: 'boolean' }).notNull().default(false),
}, table => [
  primaryKey({ columns: [table.userId, table.name] }),
])

/** Server-wide values created on first start (the access-token signing secret, the seed marker). */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
})

/** Refresh sessions: one row per issued refresh token; a family is one sign-in and its rotations. */
export const refreshSessions = sqliteTable('refresh_sessions', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  familyId: text('family_id').notNull(),
  respondentId: integer('respondent_id').notNull().references(() => respondents.id, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  rotatedAt: integer('rotated_at', { mode: 'timestamp_ms' }),
  revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().$defaultFn(() => new Date()),
}, table => [
  uniqueIndex('refresh_sessions_token_hash_unique').on(table.tokenHash),
  index('refresh_sessions_family_idx').on(table.familyId),
])

/** `jti`s of single-use partner tokens, kept until the token would have expired anyway. */
export const usedTokenIds = sqliteTable('used_token_ids', {
  surveyId: integer('survey_id').notNull().references(() => surveys.id, { onDelete: 'cascade' }),
  jti: text('jti').notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
}, table => [
  primaryKey({ columns: [table.surveyId, table.jti] }),
  index('used_token_ids_expires_idx').on(table.expiresAt),
])

/** Fixed-window counters shared by every server process on the database. */
export const rateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: integer('window_start', { mode: 'timestamp_ms' }).notNull(),
  count: integer('count').notNull(),
}, table => [
  index('rate_limits_window_idx').on(table.windowStart),
])

export type SurveyRow = typeof surveys.$inferSelect
export type NewSurveyRow = typeof surveys.$inferInsert
export type RespondentRow = typeof respondents.$inferSelect
export type UserRow = typeof users.$inferSelect
