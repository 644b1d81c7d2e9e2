import { and, asc, eq, isNull, lt, type SQL } from 'drizzle-orm'
import { Secret, TOTP } from 'otpauth'
import { z } from 'zod'
import { read, tables, type Db } from '#server/database'
import type { AdminAccountRow } from '#server/database/schema'
import { exec, first, rows } from '#server/database/steps'
import { badRequest, conflict, fieldErrors, fieldErrorsFromZod, notFound } from '#server/utils/errors'
import { hashPassword } from '#server/utils/passwords'
import { randomString, randomToken, sha256 } from '#server/utils/tokens'
import { storedSurveyList } from './access-tokens'

export const ADMIN_ROLES = ['owner', 'staff'] as const
export type AdminRole = typeof ADMIN_ROLES[number]

/** How long the one-time set-password link works. */
export const PASSWORD_LINK_HOURS = 72

export const adminPasswordSchema = z.string()
  .min(12, 'password must be at least 12 characters')
  .max(256, 'password must be at most 256 characters')

const createSchema = z.object({
  email: z.string().trim().toLowerCase().email('email must be an e-mail address').max(254),
  name: z.string().trim().min(1, 'name must not be empty').max(128),
  role: z.enum(ADMIN_ROLES),
  /** Staff only: the surveys (slugs) the account may see; absent: every survey. */
  surveys: z.array(z.string().max(128)).min(1).max(500).optional(),
}).strict()

/** What the console and the CLI show of an account: never a hash, a secret or a token. */
export function adminAccountView(row: AdminAccountRow) {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    surveys: row.surveys,
    passwordSet: row.passwordHash !== null,
    twoFactor: row.totpEnabledAt !== null,
    disabled: row.disabledAt !== null,
    createdAt: row.createdAt.toISOString(),
  }
}
export type AdminAccountView = ReturnType<typeof adminAccountView>

type AccountChanges = Partial<typeof import('#server/database/schema').adminAccounts.$inferInsert>

/** The account matching `where` (a condition over the accounts table), if any. */
const accountWhere = (db: Db, where: (accounts: ReturnType<typeof tables>['adminAccounts']) => SQL | undefined) =>
  read(db, function* (db) {
    const { adminAccounts } = tables(db)
    return yield* first(db.select().from(adminAccounts).where(where(adminAccounts)))
  })

/** Updates the account where `where` still holds; whether it did (a parallel request may have got there first). */
const updateAccount = (db: Db, id: number, changes: AccountChanges, where?: (accounts: ReturnType<typeof tables>['adminAccounts']) => SQL | undefined) =>
  read(db, function* (db) {
    const { adminAccounts } = tables(db)
    const updated = yield* rows(db.update(adminAccounts).set(changes)
      .where(and(eq(adminAccounts.id, id), where?.(adminAccounts))).returning({ id: adminAccounts.id }))
    return updated.length === 1
  })

function newPasswordLink(now: Date) {
  const token = randomToken(32)
  return {
    token,
    columns: {
      passwordTokenHash: sha256(token),
      passwordTokenExpiresAt: new Date(now.getTime() + PASSWORD_LINK_HOURS * 3600_000),
    },
  }
}

/**
 * A new console account. Its password is set through the one-time link token returned here (shown
 * once; only its SHA-256 is kept), or at once from `password` (the CLI's --password-stdin).
 */
export async function createAdminAccount(db: Db, input: unknown, options: { password?: string, now?: Date } = {}) {
  const now = options.now ?? new Date()
  const parsed = createSchema.safeParse(input)
  const errors = parsed.success ? fieldErrors() : fieldErrorsFromZod(parsed.error)
  const surveys = parsed.success ? await storedSurveyList(db, parsed.data.surveys, errors) : null
  if (parsed.success && parsed.data.role === 'owner' && surveys) errors.surveys = { msg: 'an owner sees every survey: only staff accounts are limited to named surveys' }
  const password = options.password === undefined ? undefined : adminPasswordSchema.safeParse(options.password)
  if (password && !password.success) errors.password = { msg: password.error.issues[0]!.message }
  if (!parsed.success || Object.keys(errors).length) throw badRequest('The account is not valid.', errors)
  const email = parsed.data.email
  if (await accountWhere(db, accounts => eq(accounts.email, email))) throw conflict('An account with this e-mail address already exists.', { email: { msg: 'is already taken' } })

  const link = password ? undefined : newPasswordLink(now)
  const passwordHash = password?.success ? await hashPassword(password.data) : null
  const row = await read(db, db => first(db.insert(tables(db).adminAccounts).values({
    ...parsed.data,
    surveys,
    passwordHash,
    ...link?.columns,
    createdAt: now,
    updatedAt: now,
  }).returning()))
  return { account: adminAccountView(row!), passwordToken: link?.token }
}

export async function listAdminAccounts(db: Db) {
  const accounts = await read(db, function* (db) {
    const { adminAccounts } = tables(db)
    return yield* rows(db.select().from(adminAccounts).orderBy(asc(adminAccounts.email)))
  })
  return accounts.map(adminAccountView)
}

export const findAdminAccount = (db: Db, id: number) => accountWhere(db, accounts => eq(accounts.id, id))

export const findAdminAccountByEmail = (db: Db, email: string) =>
  accountWhere(db, accounts => eq(accounts.email, email.trim().toLowerCase()))

/** Ends every console sign-in of the account (disabling it, a new password, "sign out everywhere"). */
export function revokeAdminSessions(db: Db, accountId: number, now = new Date()) {
  return read(db, function* (db) {
    const { adminSessions } = tables(db)
    yield* exec(db.update(adminSessions).set({ revokedAt: now })
      .where(and(eq(adminSessions.accountId, accountId), isNull(adminSessions.revokedAt))))
  })
}

export async function setAdminDisabled(db: Db, email: string, disabled: boolean, now = new Date()) {
  const account = await findAdminAccountByEmail(db, email)
  if (!account) throw notFound(`No account ${email}.`)
  await updateAccount(db, account.id, { disabledAt: disabled ? now : null, updatedAt: now })
  if (disabled) await revokeAdminSessions(db, account.id, now)
  return adminAccountView({ ...account, disabledAt: disabled ? now : null })
}

/** A fresh one-time set-password link for the account (the old one stops working). */
export async function issuePasswordLink(db: Db, email: string, now = new Date()) {
  const account = await findAdminAccountByEmail(db, email)
  if (!account) throw notFound(`No account ${email}.`)
  const link = newPasswordLink(now)
  await updateAccount(db, account.id, { ...link.columns, updatedAt: now })
  return link.token
}

/**
 * Sets the password from a one-time link: the token works once and until it expires; every sign-in of
 * the account ends. One message for an unknown, used or expired link.
 */
export async function setPasswordWithLink(db: Db, input: { token: string, password: string }, lane?: string, now = new Date()) {
  const password = adminPasswordSchema.safeParse(input.password)
  if (!password.success) throw badRequest('The password is not valid.', { password: { msg: password.error.issues[0]!.message } })
  const tokenHash = sha256(input.token)
  const account = await accountWhere(db, accounts => eq(accounts.passwordTokenHash, tokenHash))
  if (!account || !account.passwordTokenExpiresAt || account.passwordTokenExpiresAt <= now || account.disabledAt)
    throw badRequest('This link is not valid any more: ask an owner for a new one.', { token: { msg: 'is unknown, used or expired' } })
  const passwordHash = await hashPassword(password.data, lane)
  const changes = { passwordHash, passwordTokenHash: null, passwordTokenExpiresAt: null, updatedAt: now }
  if (!await updateAccount(db, account.id, changes, accounts => eq(accounts.passwordTokenHash, tokenHash)))
    throw badRequest('This link is not valid any more: ask an owner for a new one.', { token: { msg: 'is unknown, used or expired' } })
  await revokeAdminSessions(db, account.id, now)
  return adminAccountView({ ...account, passwordHash })
}

const TOTP_SETTINGS = { issuer: 'Respondent Gateway', algorithm: 'SHA1', digits: 6, period: 30 } as const

function totpFor(account: Pick<AdminAccountRow, 'email' | 'totpSecret'>) {
  return new TOTP({ ...TOTP_SETTINGS, label: account.email, secret: Secret.fromBase32(account.totpSecret!) })
}

/** Starts two-factor enrolment: a new secret (not yet in force), as an otpauth:// URI for an authenticator app. */
export async function beginTotpEnrolment(db: Db, account: AdminAccountRow, now = new Date()) {
  const secret = new Secret({ size: 20 }).base32
  await updateAccount(db, account.id, { totpSecret: secret, totpEnabledAt: null, updatedAt: now })
  return { secret, otpauthUri: totpFor({ email: account.email, totpSecret: secret }).toString() }
}

/**
 * The time step a code is good for (±1 step of clock drift), or null. A step once used is refused, so a
 * code seen over someone's shoulder cannot be replayed.
 */
export function totpStep(account: Pick<AdminAccountRow, 'email' | 'totpSecret' | 'totpLastStep'>, code: string, now = Date.now()) {
  if (!account.totpSecret || !/^\d{6}$/.test(code)) return null
  const delta = totpFor(account).validate({ token: code, timestamp: now, window: 1 })
  if (delta === null) return null
  const step = Math.floor(now / 1000 / TOTP_SETTINGS.period) + delta
  return account.totpLastStep !== null && step <= account.totpLastStep ? null : step
}

const RECOVERY_CHARSET = 'abcdefghjkmnpqrstuvwxyz23456789'
const newRecoveryCodes = () => Array.from({ length: 10 }, () => `${randomString(5, RECOVERY_CHARSET)}-${randomString(5, RECOVERY_CHARSET)}`)

/** Confirms enrolment with a first code: two-factor is then in force; returns ten recovery codes, shown once. */
export async function confirmTotpEnrolment(db: Db, account: AdminAccountRow, code: string, now = new Date()) {
  const step = totpStep(account, code, now.getTime())
  if (step === null) throw badRequest('That code is not right: check the time on your device and try the next one.', { code: { msg: 'is not the current code' } })
  const recoveryCodes = newRecoveryCodes()
  const recoveryCodeHashes = recoveryCodes.map(sha256)
  await updateAccount(db, account.id, { totpEnabledAt: now, totpLastStep: step, recoveryCodeHashes, updatedAt: now })
  return recoveryCodes
}

/** Checks a second factor (a TOTP code, or a recovery code that is then used up); true when it is good. */
export async function useSecondFactor(db: Db, account: AdminAccountRow, input: { code?: string, recoveryCode?: string }, now = new Date()) {
  // Each update takes effect only if nobody used the same code in the meantime (parallel requests).
  if (input.code !== undefined) {
    const step = totpStep(account, input.code, now.getTime())
    if (step === null) return false
    return updateAccount(db, account.id, { totpLastStep: step }, accounts =>
      account.totpLastStep === null ? isNull(accounts.totpLastStep) : lt(accounts.totpLastStep, step))
  }
  const hashed = sha256((input.recoveryCode ?? '').trim().toLowerCase())
  const remaining = account.recoveryCodeHashes ?? []
  if (!remaining.includes(hashed)) return false
  return updateAccount(db, account.id, { recoveryCodeHashes: remaining.filter(code => code !== hashed) }, accounts =>
    eq(accounts.recoveryCodeHashes, remaining))
}
