import { and, asc, eq, isNull, lt, max, ne, sql, type SQL } from 'drizzle-orm'
import { Secret, TOTP } from 'otpauth'
import { z } from 'zod'
import { read, tables, transaction, type Db, type Tx } from '#server/database'
import type { AdminAccountRow } from '#server/database/schema'
import { engineSql, exec, first, rows, type Steps } from '#server/database/steps'
import { ADMIN_ROLES, adminAccountCreateSchema, type AdminAccountUpdate } from '#shared/schemas/admin-console'
import { badRequest, conflict, fieldErrors, fieldErrorsFromZod, notFound } from '#server/utils/errors'
import { hashPassword } from '#server/utils/passwords'
import { randomString, randomToken, sha256 } from '#server/utils/tokens'
import { storedSurveyList } from './access-tokens'
import { auditIn, CLI_ACTOR, type Actor } from './audit'

export { ADMIN_ROLES }
export type AdminRole = typeof ADMIN_ROLES[number]

/** How long the one-time set-password link works. */
export const PASSWORD_LINK_HOURS = 72

export const adminPasswordSchema = z.string()
  .min(12, 'password must be at least 12 characters')
  .max(256, 'password must be at most 256 characters')

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
    mfaEnabled: row.totpEnabledAt !== null,
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

/** The link an owner hands a new account (or one that lost its password): works once. */
export const setPasswordLink = (origin: string, token: string) => `${origin.replace(/\/$/, '')}/admin/set-password#${token}`

/**
 * A new console account. Its password is set through the one-time link token returned here (shown
 * once; only its SHA-256 is kept), or at once from `password` (the CLI's --password-stdin). Audited
 * (`admin.create`) in the same transaction; `actor` by default the command line.
 */
export async function createAdminAccount(db: Db, input: unknown, options: { password?: string, now?: Date, actor?: Actor } = {}) {
  const now = options.now ?? new Date()
  const parsed = adminAccountCreateSchema.safeParse(input)
  const errors = parsed.success ? fieldErrors() : fieldErrorsFromZod(parsed.error)
  const surveys = parsed.success ? await storedSurveyList(db, parsed.data.surveys, errors) : null
  if (parsed.success && parsed.data.role === 'owner' && surveys) errors.surveys = { msg: OWNER_SEES_EVERY_SURVEY }
  const password = options.password === undefined ? undefined : adminPasswordSchema.safeParse(options.password)
  if (password && !password.success) errors.password = { msg: password.error.issues[0]!.message }
  if (!parsed.success || Object.keys(errors).length) throw badRequest('The account is not valid.', errors)
  const email = parsed.data.email
  if (await accountWhere(db, accounts => eq(accounts.email, email))) throw emailTaken()

  const link = password ? undefined : newPasswordLink(now)
  const passwordHash = password?.success ? await hashPassword(password.data) : null
  const row = await transaction(db, function* (tx) {
    const { adminAccounts } = tables(tx)
    if (yield* first(tx.select({ id: adminAccounts.id }).from(adminAccounts).where(eq(adminAccounts.email, email)))) throw emailTaken()
    const row = (yield* first(tx.insert(adminAccounts).values({
      ...parsed.data,
      surveys,
      passwordHash,
      ...link?.columns,
      createdAt: now,
      updatedAt: now,
    }).returning()))!
    yield* auditIn(tx, options.actor ?? CLI_ACTOR, 'admin.create', `admin:${row.id}`, { email, role: row.role, surveys })
    return row
  })
  return { account: adminAccountView(row), passwordToken: link?.token }
}

const OWNER_SEES_EVERY_SURVEY = 'an owner sees every survey: only staff accounts are limited to named surveys'
const emailTaken = () => conflict('An account with this e-mail address already exists.', { email: { msg: 'is already taken' } })

/** Every account with when it last signed in (the newest sign-in that reached the console), by e-mail. */
export async function listAdminAccounts(db: Db) {
  const { accounts, lastSignIns } = await read(db, function* (db) {
    const { adminAccounts, adminSessions } = tables(db)
    const accounts = yield* rows(db.select().from(adminAccounts).orderBy(asc(adminAccounts.email)))
    const lastSignIns = yield* rows(db.select({ accountId: adminSessions.accountId, at: max(adminSessions.createdAt) })
      .from(adminSessions).where(eq(adminSessions.stage, 'active')).groupBy(adminSessions.accountId))
    return { accounts, lastSignIns }
  })
  const lastSignIn = new Map(lastSignIns.map(row => [row.accountId, row.at]))
  return accounts.map(row => adminAccountEntry(row, lastSignIn.get(row.id)))
}

/** An account as the owners' list shows it. `at` may come back from an aggregate as a number or a string. */
function adminAccountEntry(row: AdminAccountRow, at: Date | number | string | null | undefined) {
  return { ...adminAccountView(row), lastSignInAt: at === null || at === undefined ? null : new Date(at).toISOString() }
}
export type AdminAccountEntry = ReturnType<typeof adminAccountEntry>

export async function findAdminAccountEntry(db: Db, id: number) {
  const entry = (await listAdminAccounts(db)).find(account => account.id === id)
  if (!entry) throw notFound(`No console account ${id}.`)
  return entry
}

export const findAdminAccount = (db: Db, id: number) => accountWhere(db, accounts => eq(accounts.id, id))

export const findAdminAccountByEmail = (db: Db, email: string) =>
  accountWhere(db, accounts => eq(accounts.email, email.trim().toLowerCase()))

/** Ends every console sign-in of the account (disabling it, a new password, "sign out everywhere"). */
function* revokeAdminSessionsIn(db: Db | Tx, accountId: number, now: Date): Steps<void> {
  const { adminSessions } = tables(db)
  yield* exec(db.update(adminSessions).set({ revokedAt: now })
    .where(and(eq(adminSessions.accountId, accountId), isNull(adminSessions.revokedAt))))
}

export const revokeAdminSessions = (db: Db, accountId: number, now = new Date()) =>
  read(db, db => revokeAdminSessionsIn(db, accountId, now))

/**
 * Changes an account (name, role, surveys, disabled), audited in the same transaction. Disabling ends
 * every sign-in of the account. The last enabled owner can be neither disabled nor demoted (409); the
 * owners are locked while that is checked, so two owners demoting each other at once cannot both succeed.
 */
export async function updateAdminAccount(db: Db, id: number, input: AdminAccountUpdate, actor: Actor = CLI_ACTOR, now = new Date()) {
  const account = await findAdminAccount(db, id)
  if (!account) throw notFound(`No console account ${id}.`)
  const errors = fieldErrors()
  const surveys = input.surveys === undefined ? account.surveys : await storedSurveyList(db, input.surveys, errors)
  const role = input.role ?? account.role
  if (role === 'owner' && surveys && input.surveys !== undefined) errors.surveys = { msg: OWNER_SEES_EVERY_SURVEY }
  if (Object.keys(errors).length) throw badRequest('The account is not valid.', errors)
  const changes: AccountChanges = {
    ...(input.name === undefined ? {} : { name: input.name }),
    role,
    surveys: role === 'owner' ? null : surveys,
    ...(input.disabled === undefined ? {} : { disabledAt: input.disabled ? account.disabledAt ?? now : null }),
    updatedAt: now,
  }
  const disabling = input.disabled === true && !account.disabledAt
  const action = disabling ? 'admin.disable' : input.disabled === false && account.disabledAt ? 'admin.enable' : 'admin.update'
  await transaction(db, function* (tx) {
    const { adminAccounts } = tables(tx)
    if (account.role === 'owner' && (role !== 'owner' || input.disabled === true)) {
      yield* engineSql({ postgres: sql`SELECT id FROM admin_accounts WHERE role = 'owner' FOR UPDATE` })
      const others = yield* rows(tx.select({ id: adminAccounts.id }).from(adminAccounts)
        .where(and(eq(adminAccounts.role, 'owner'), isNull(adminAccounts.disabledAt), ne(adminAccounts.id, id))))
      const field = input.disabled ? 'disabled' : 'role'
      if (!others.length)
        throw conflict('This is the last enabled owner: make another account an owner first.', { [field]: { msg: 'would leave no enabled owner' } })
    }
    yield* exec(tx.update(adminAccounts).set(changes).where(eq(adminAccounts.id, id)))
    if (disabling) yield* revokeAdminSessionsIn(tx, id, now)
    yield* auditIn(tx, actor, action, `admin:${id}`, { email: account.email, fields: Object.keys(input) })
  })
  return findAdminAccountEntry(db, id)
}

/** Disables or enables the account with this e-mail address (the CLI's admins:disable and admins:enable). */
export async function setAdminDisabled(db: Db, email: string, disabled: boolean, actor: Actor = CLI_ACTOR, now = new Date()) {
  const account = await findAdminAccountByEmail(db, email)
  if (!account) throw notFound(`No account ${email}.`)
  return updateAdminAccount(db, account.id, { disabled }, actor, now)
}

/**
 * A fresh one-time set-password link token for the account named by id or e-mail address (the old link
 * stops working), audited in the same transaction.
 */
export async function issuePasswordLink(db: Db, who: number | string, actor: Actor = CLI_ACTOR, now = new Date()) {
  const account = typeof who === 'number' ? await findAdminAccount(db, who) : await findAdminAccountByEmail(db, who)
  if (!account) throw notFound(`No console account ${who}.`)
  const link = newPasswordLink(now)
  await transaction(db, function* (tx) {
    const { adminAccounts } = tables(tx)
    yield* exec(tx.update(adminAccounts).set({ ...link.columns, updatedAt: now }).where(eq(adminAccounts.id, account.id)))
    yield* auditIn(tx, actor, 'admin.password-link', `admin:${account.id}`, { email: account.email })
  })
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
