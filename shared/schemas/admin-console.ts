import { z } from 'zod'

// The console's sign-in: accounts, sessions, two-factor (TOTP), the one-time set-password link.

export const adminSignInSchema = z.object({
  email: z.string().min(1, 'email must not be empty').max(254),
  password: z.string().min(1, 'password must not be empty').max(256),
}).strict()

export const adminSecondFactorSchema = z.union([
  z.object({ code: z.string().max(16) }).strict(),
  z.object({ recoveryCode: z.string().max(32) }).strict(),
], { error: 'send either code (from the authenticator app) or recoveryCode' })

export const adminTotpConfirmSchema = z.object({ code: z.string().max(16) }).strict()

export const adminPasswordLinkSchema = z.object({
  token: z.string().min(1).max(128),
  password: z.string().max(256),
}).strict()

export const adminAccountSchema = z.object({
  id: z.number().int(),
  email: z.string(),
  name: z.string(),
  role: z.enum(['owner', 'staff']),
  surveys: z.array(z.string()).nullable(),
  passwordSet: z.boolean(),
  twoFactor: z.boolean(),
  /** The same as `twoFactor`: two-factor sign-in (TOTP) is set up. */
  mfaEnabled: z.boolean(),
  disabled: z.boolean(),
  createdAt: z.string(),
})

export const adminSessionSchema = z.object({
  /** `password`: waiting for the second factor; `enrol`: two-factor must be set up; `active`: signed in. */
  stage: z.enum(['password', 'enrol', 'active']),
  /** Send it back in `X-CSRF-Token` with every state-changing request. */
  csrfToken: z.string(),
  account: adminAccountSchema,
})

export const adminTotpEnrolmentSchema = z.object({
  /** For authenticator apps that take a typed key. */
  secret: z.string(),
  otpauthUri: z.string(),
  /** The URI as a QR code (SVG), to scan. */
  qrSvg: z.string(),
})

export const adminRecoveryCodesSchema = z.object({ recoveryCodes: z.array(z.string()) })

// Owners' management of console accounts and personal access tokens.

export const ADMIN_ROLES = ['owner', 'staff'] as const
export const ADMIN_SCOPES = [
  'surveys:read', 'surveys:write', 'respondents:read', 'respondents:write', 'deliveries:read', 'deliveries:write', 'audit:read',
] as const

/** Survey slugs (any case) an account or a token is limited to; null or absent: every survey. */
const surveyListSchema = z.array(z.string().max(128)).min(1, 'name at least one survey, or null for every survey').max(500)

export const adminAccountCreateSchema = z.object({
  email: z.string().trim().toLowerCase().email('email must be an e-mail address').max(254),
  name: z.string().trim().min(1, 'name must not be empty').max(128),
  role: z.enum(ADMIN_ROLES),
  /** Staff only: the surveys (slugs) the account may see; absent or null: every survey. */
  surveys: surveyListSchema.nullable().optional(),
}).strict()

export const adminAccountUpdateSchema = z.object({
  name: z.string().trim().min(1, 'name must not be empty').max(128).optional(),
  role: z.enum(ADMIN_ROLES).optional(),
  surveys: surveyListSchema.nullable().optional(),
  /** true ends every sign-in of the account. */
  disabled: z.boolean().optional(),
}).strict()

export type AdminAccountUpdate = z.infer<typeof adminAccountUpdateSchema>

/** An account as the owners' list shows it. */
export const adminAccountEntrySchema = adminAccountSchema.extend({
  /** When a sign-in of the account last opened (null: none kept). */
  lastSignInAt: z.string().nullable(),
})
export const adminAccountListSchema = z.object({ accounts: z.array(adminAccountEntrySchema) })
export const adminAccountChangedSchema = z.object({ account: adminAccountEntrySchema })
export const adminSetPasswordLinkSchema = z.object({
  /** The one-time set-password link: works once, for 72 hours. Shown this once. */
  setPasswordLink: z.string(),
})
export const adminAccountCreatedSchema = adminAccountChangedSchema.extend(adminSetPasswordLinkSchema.shape)

export const adminTokenCreateSchema = z.object({
  name: z.string().trim().min(1, 'name must not be empty').max(128),
  scopes: z.array(z.enum(ADMIN_SCOPES)).min(1, 'name at least one scope'),
  /** Limit the token to these surveys (slugs, any case); absent or null: every survey. */
  surveys: surveyListSchema.nullable().optional(),
  /** Absent or null: the token does not expire. */
  expiresInDays: z.number().int().min(1).max(3650).nullable().optional(),
}).strict()

export const adminTokenSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  scopes: z.array(z.string()),
  surveys: z.array(z.string()).nullable(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
})
export const adminTokenListSchema = z.object({ tokens: z.array(adminTokenSchema) })
/** A token just created: `token` (rgpat_…) is shown this once. */
export const adminTokenCreatedSchema = adminTokenSchema.extend({ token: z.string() })

export const auditQuerySchema = z.object({
  survey: z.string().max(128).optional(),
  /** A part of the actor: `admin:3:someone@example.org`, `token:5:name`, `cli`. */
  actor: z.string().max(254).optional(),
  page: z.coerce.number().int().min(1).max(100000).default(1),
  limit: z.coerce.number().int().min(1).max(500).default(50),
})
export const auditPageSchema = z.object({
  entries: z.array(z.object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    survey: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
  })),
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
})
