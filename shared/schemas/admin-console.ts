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
