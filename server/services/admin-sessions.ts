import { and, eq, isNull } from 'drizzle-orm'
import { read, tables, type Db } from '#server/database'
import type { AdminAccountRow, AdminSessionRow } from '#server/database/schema'
import { exec, first } from '#server/database/steps'
import { AppError, badRequest, forbidden, unauthorized } from '#server/utils/errors'
import { verifyPassword } from '#server/utils/passwords'
import { randomToken, sha256 } from '#server/utils/tokens'
import {
  adminAccountView, beginTotpEnrolment, confirmTotpEnrolment, findAdminAccount, findAdminAccountByEmail, useSecondFactor,
} from './admin-accounts'
import { rateLimitGiveBack, rateLimitReset, type RateLimitRule } from './rate-limit'
import { takeFailureBudgets } from './login'

export interface AdminSessionSettings {
  /** A sign-in ends this long after its last request. */
  idleMinutes: number
  /** …and at the latest this long after it was made. */
  absoluteHours: number
  /** Two-factor sign-in for every account, not only owners (NUXT_ADMIN_REQUIRE_MFA). */
  requireMfaForAll: boolean
  /** Failed sign-ins per address, and per account. */
  addressRateLimit: RateLimitRule
  accountRateLimit: RateLimitRule
}

export const ADMIN_SIGN_IN_FAILED = 'The e-mail address or password is not correct, or this account cannot sign in.'

export interface SignedInAdmin { token: string, session: AdminSessionRow, account: AdminAccountRow }

/** What the console learns about its sign-in: the stage, the CSRF token to send back, and who. */
export const adminSessionView = ({ session, account }: { session: AdminSessionRow, account: AdminAccountRow }) =>
  ({ stage: session.stage, csrfToken: session.csrfToken, account: adminAccountView(account) })

const mfaRequired = (account: AdminAccountRow, settings: AdminSessionSettings) => account.role === 'owner' || settings.requireMfaForAll

async function openSession(db: Db, account: AdminAccountRow, stage: AdminSessionRow['stage'], settings: AdminSessionSettings, now: Date) {
  const token = randomToken(32)
  const session = await read(db, db => first(db.insert(tables(db).adminSessions).values({
    accountId: account.id,
    tokenHash: sha256(token),
    csrfToken: randomToken(32),
    stage,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + settings.absoluteHours * 3600_000),
    createdAt: now,
  }).returning()))
  return { token, session: session!, account }
}

/**
 * Password sign-in. Failures are counted per address and per account before the hash (so parallel
 * guesses cannot pass the limit); an unknown address costs the same hash as a known one. The session
 * it opens is `active`, or waits for the second factor (`password`), or for its enrolment (`enrol`).
 */
export async function signInAdmin(
  db: Db,
  input: { email: string, password: string },
  context: { ip: string, settings: AdminSessionSettings },
  now = new Date(),
): Promise<SignedInAdmin> {
  const email = input.email.trim().toLowerCase()
  const addressKey = `admin:login:address:${context.ip}`
  const accountKey = `admin:login:account:${email}`
  await takeFailureBudgets(db, [[addressKey, context.settings.addressRateLimit], [accountKey, context.settings.accountRateLimit]])
  const account = await findAdminAccountByEmail(db, email)
  const matches = await verifyPassword(account?.passwordHash, input.password, context.ip)
  if (!account || !matches || account.disabledAt) throw unauthorized(ADMIN_SIGN_IN_FAILED)
  await rateLimitReset(db, accountKey)
  await rateLimitGiveBack(db, addressKey)
  const stage = account.totpEnabledAt ? 'password' : mfaRequired(account, context.settings) ? 'enrol' : 'active'
  return openSession(db, account, stage, context.settings, now)
}

/**
 * The sign-in behind a console cookie, or undefined when there is none or it has ended (signed out,
 * revoked, idle or past its lifetime, or its account disabled). Records the request as activity.
 */
export async function adminSessionFromToken(db: Db, token: string | undefined, settings: AdminSessionSettings, now = new Date()) {
  if (!token) return undefined
  const session = await read(db, function* (db) {
    const { adminSessions } = tables(db)
    return yield* first(db.select().from(adminSessions).where(eq(adminSessions.tokenHash, sha256(token))))
  })
  if (!session || session.revokedAt || session.expiresAt <= now) return undefined
  if (session.lastSeenAt.getTime() + settings.idleMinutes * 60_000 <= now.getTime()) return undefined
  const account = await findAdminAccount(db, session.accountId)
  if (!account || account.disabledAt) return undefined
  if (now.getTime() - session.lastSeenAt.getTime() > 30_000) await updateSession(db, session.id, { lastSeenAt: now })
  return { session, account }
}

const updateSession = (db: Db, id: number, changes: Partial<AdminSessionRow>) => read(db, function* (db) {
  const { adminSessions } = tables(db)
  yield* exec(db.update(adminSessions).set(changes).where(eq(adminSessions.id, id)))
})

async function setStage(db: Db, session: AdminSessionRow, stage: AdminSessionRow['stage']) {
  await updateSession(db, session.id, { stage })
  return { ...session, stage }
}

/** The second factor of a sign-in waiting for it; failures count against the account like wrong passwords. */
export async function completeSecondFactor(
  db: Db,
  signedIn: { session: AdminSessionRow, account: AdminAccountRow },
  input: { code?: string, recoveryCode?: string },
  context: { ip: string, settings: AdminSessionSettings },
  now = new Date(),
) {
  if (signedIn.session.stage !== 'password') throw forbidden('This sign-in is not waiting for a second factor.')
  const accountKey = `admin:login:account:${signedIn.account.email}`
  await takeFailureBudgets(db, [[accountKey, context.settings.accountRateLimit]])
  if (!await useSecondFactor(db, signedIn.account, input, now))
    throw new AppError(401, 'That code is not right.', { [input.code !== undefined ? 'code' : 'recoveryCode']: { msg: 'is not right' } })
  await rateLimitReset(db, accountKey)
  return { session: await setStage(db, signedIn.session, 'active'), account: signedIn.account }
}

/** Starts (or starts again) two-factor enrolment for a sign-in that must enrol, or an account already signed in. */
export async function startEnrolment(db: Db, signedIn: { session: AdminSessionRow, account: AdminAccountRow }, now = new Date()) {
  if (signedIn.session.stage === 'password') throw forbidden('Finish signing in first.')
  if (signedIn.account.totpEnabledAt) throw forbidden('Two-factor sign-in is already set up for this account.')
  return beginTotpEnrolment(db, signedIn.account, now)
}

export async function finishEnrolment(
  db: Db,
  signedIn: { session: AdminSessionRow, account: AdminAccountRow },
  code: unknown,
  now = new Date(),
) {
  if (signedIn.session.stage === 'password') throw forbidden('Finish signing in first.')
  if (typeof code !== 'string') throw badRequest('Send the code your authenticator app shows.', { code: { msg: 'must be the 6-digit code' } })
  const account = await findAdminAccount(db, signedIn.account.id)
  if (!account?.totpSecret || account.totpEnabledAt) throw forbidden('Start the set-up again: no two-factor set-up is under way.')
  const recoveryCodes = await confirmTotpEnrolment(db, account, code, now)
  await setStage(db, signedIn.session, 'active')
  return recoveryCodes
}

export function signOutAdmin(db: Db, session: AdminSessionRow, now = new Date()) {
  return read(db, function* (db) {
    const { adminSessions } = tables(db)
    yield* exec(db.update(adminSessions).set({ revokedAt: now })
      .where(and(eq(adminSessions.id, session.id), isNull(adminSessions.revokedAt))))
  })
}
