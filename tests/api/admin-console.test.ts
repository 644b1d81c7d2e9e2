import { eq } from 'drizzle-orm'
import { Secret, TOTP } from 'otpauth'
import { beforeAll, describe, expect, it } from 'vitest'
import { tables } from '#server/database'
import { upsertSurveys } from '#server/services/surveys'
import { runCli } from '../support/cli'
import { consoleTab as openConsoleTab } from '../support/console'
import { request, useTestServer } from '../support/server'

const ORIGIN = 'https://console.example.org'
// NUXT_TRUST_PROXY: the parallel sign-ins below come from addresses of their own (X-Forwarded-For).
const server = await useTestServer({ NUXT_PUBLIC_ORIGIN: ORIGIN, NUXT_TRUST_PROXY: '1' })
const OWNER = { email: 'Owner@Example.org', password: 'correct horse battery staple' }
const STAFF = { email: 'staff@example.org', password: 'another long passphrase' }

beforeAll(async () => {
  await upsertSurveys(server.db(), ['alpha', 'beta'].map(slug => ({ slug, name: `Study ${slug}`, supportEmail: 'team@example.org', state: 'active' })))
})

const consoleTab = () => openConsoleTab(ORIGIN)

const createAccount = (args: string[], password?: string) => {
  const result = runCli(['admins:create', ...args, ...(password ? ['--password-stdin'] : [])], server.databasePath, { NUXT_PUBLIC_ORIGIN: ORIGIN }, password)
  expect(result.status, result.stderr).toBe(0)
  return result.stdout
}

async function accountRow(email: string) {
  const { adminAccounts } = tables(server.db())
  const [row] = await server.db().select().from(adminAccounts).where(eq(adminAccounts.email, email))
  return row!
}
const codeAt = async (email: string, timestamp: number) =>
  new TOTP({ secret: Secret.fromBase32((await accountRow(email)).totpSecret!), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp })
const lastStep = async (email: string) => (await accountRow(email)).totpLastStep!

describe('an owner created by the CLI', () => {
  const tab = consoleTab()
  let recoveryCodes: string[]

  it('signs in with the password, and must set up two-factor sign-in before anything else', async () => {
    createAccount(['--email', OWNER.email, '--name', 'Olive Owner', '--role', 'owner'], OWNER.password)
    const signedIn = await tab.signIn({ email: 'owner@example.org', password: OWNER.password })
    expect(signedIn.status).toBe(200)
    expect(signedIn.body).toMatchObject({ stage: 'enrol', account: { email: 'owner@example.org', role: 'owner', twoFactor: false } })
    const cookie = signedIn.headers.getSetCookie().find(value => value.startsWith('rg_admin='))!
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Strict/i)
    expect(cookie).toMatch(/Path=\//)
    expect(JSON.stringify(signedIn.body)).not.toContain(OWNER.password)

    const refused = await tab.send('/api/admin/surveys')
    expect(refused.status).toBe(401)
    expect(refused.body.message).toMatch(/two-factor/)
  })

  it('sets up TOTP with a code from the app and gets ten recovery codes, once', async () => {
    const withoutCsrf = await request('/api/admin/session/totp', { method: 'POST', headers: { origin: ORIGIN, cookie: tab.cookie } })
    expect(withoutCsrf.status).toBe(403)
    const setup = await tab.send('/api/admin/session/totp', { method: 'POST' })
    expect(setup.status).toBe(200)
    expect(setup.body.otpauthUri).toMatch(/^otpauth:\/\/totp\/.*secret=/)
    expect(setup.body.qrSvg).toMatch(/^<svg/)
    const current = await codeAt('owner@example.org', Date.now())
    const wrong = await tab.send('/api/admin/session/totp/confirm', { method: 'POST', body: { code: current === '000000' ? '111111' : '000000' } })
    expect(wrong.status).toBe(400)
    expect(wrong.body.errors.code).toBeDefined()
    const confirmed = await tab.send('/api/admin/session/totp/confirm', { method: 'POST', body: { code: await codeAt('owner@example.org', Date.now()) } })
    expect(confirmed.status).toBe(200)
    recoveryCodes = confirmed.body.recoveryCodes
    expect(recoveryCodes).toHaveLength(10)
    expect(new Set(recoveryCodes).size).toBe(10)
    const row = await accountRow('owner@example.org')
    expect(JSON.stringify(row)).not.toContain(recoveryCodes[0])

    const session = await tab.send('/api/admin/session')
    expect(session.body).toMatchObject({ stage: 'active', account: { twoFactor: true } })
    expect((await tab.send('/api/admin/surveys')).status).toBe(200)
  })

  it('state-changing console requests need the CSRF token and the app\'s own origin', async () => {
    const body = { slug: 'gamma', name: 'Gamma', supportEmail: 'team@example.org' }
    const noCsrf = await request('/api/admin/surveys', { method: 'POST', body, headers: { origin: ORIGIN, cookie: tab.cookie } })
    expect(noCsrf.status).toBe(403)
    const wrongCsrf = await request('/api/admin/surveys', { method: 'POST', body, headers: { 'origin': ORIGIN, 'cookie': tab.cookie, 'x-csrf-token': `${tab.csrf}x` } })
    expect(wrongCsrf.status).toBe(403)
    // A form on another site: the browser sends the cookie only if it is not SameSite=Strict, and its Origin is foreign.
    const crossSite = await request('/api/admin/surveys', { method: 'POST', body, headers: { 'origin': 'https://evil.example', 'cookie': tab.cookie, 'x-csrf-token': tab.csrf } })
    expect(crossSite.status).toBe(403)
    const crossSiteSignIn = await request('/api/admin/session', { method: 'POST', body: OWNER, headers: { origin: 'https://evil.example' } })
    expect(crossSiteSignIn.status).toBe(403)
    expect(crossSiteSignIn.headers.getSetCookie()).toEqual([])
    expect((await tab.send('/api/admin/surveys/gamma')).status).toBe(404)
    const created = await tab.send('/api/admin/surveys', { method: 'POST', body })
    expect(created.status).toBe(201)
    const audit = runCli(['audit:list'], server.databasePath)
    expect(audit.stdout).toMatch(/admin:\d+:owner@example\.org.*survey\.create/)
  })

  it('signs in again with password and a code; a used code or recovery code does not work twice', async () => {
    const again = consoleTab()
    const first = await again.signIn({ email: OWNER.email, password: OWNER.password })
    expect(first.body.stage).toBe('password')
    expect((await again.send('/api/admin/surveys')).status).toBe(401)
    // The code of the step the set-up used is spent; a later step's is good (the app allows one step of drift).
    const spent = await again.send('/api/admin/session/second-factor', { method: 'POST', body: { code: await codeAt('owner@example.org', await lastStep('owner@example.org') * 30_000) } })
    expect(spent.status).toBe(401)
    // The next unused step, or the current one if the clock has moved further (a loaded machine).
    const nextStep = Math.max(await lastStep('owner@example.org') + 1, Math.floor(Date.now() / 30_000))
    const next = await codeAt('owner@example.org', nextStep * 30_000)
    const good = await again.send('/api/admin/session/second-factor', { method: 'POST', body: { code: next } })
    expect(good.status, JSON.stringify(good.body)).toBe(200)
    expect(good.body.stage).toBe('active')
    expect((await again.send('/api/admin/surveys')).status).toBe(200)

    const third = consoleTab()
    await third.signIn(OWNER)
    expect((await third.send('/api/admin/session/second-factor', { method: 'POST', body: { code: next } })).status).toBe(401)
    expect((await third.send('/api/admin/session/second-factor', { method: 'POST', body: { recoveryCode: recoveryCodes[0] } })).status).toBe(200)
    const fourth = consoleTab()
    await fourth.signIn(OWNER)
    expect((await fourth.send('/api/admin/session/second-factor', { method: 'POST', body: { recoveryCode: recoveryCodes[0] } })).status).toBe(401)
  })

  it('signing out ends this sign-in; "sign out everywhere" ends every one', async () => {
    const [one, two, three] = [consoleTab(), consoleTab(), consoleTab()]
    for (const [index, tab] of [one, two, three].entries()) {
      await tab.signIn(OWNER)
      expect((await tab.send('/api/admin/session/second-factor', { method: 'POST', body: { recoveryCode: recoveryCodes[index + 1] } })).status).toBe(200)
    }
    const out = await one.send('/api/admin/session', { method: 'DELETE' })
    expect(out.status).toBe(200)
    expect(out.headers.getSetCookie().join()).toMatch(/rg_admin=;/)
    expect((await one.send('/api/admin/surveys')).status).toBe(401)
    expect((await two.send('/api/admin/surveys')).status).toBe(200)
    expect((await two.send('/api/admin/session/sign-out-everywhere', { method: 'POST' })).status).toBe(200)
    expect((await two.send('/api/admin/surveys')).status).toBe(401)
    expect((await three.send('/api/admin/surveys')).status).toBe(401)
  })

  it('a sign-in ends after it has been idle too long', async () => {
    const tab = consoleTab()
    await tab.signIn(OWNER)
    const db = server.db()
    const { adminSessions } = tables(db)
    await db.update(adminSessions).set({ lastSeenAt: new Date(Date.now() - 31 * 60_000) })
    expect((await tab.send('/api/admin/session')).status).toBe(401)
  })
})

describe('a staff account limited to one survey', () => {
  const tab = consoleTab()

  it('signs in without two-factor (not required for staff here) and sees only its survey', async () => {
    createAccount(['--email', STAFF.email, '--name', 'Sam Staff', '--role', 'staff', '--surveys', 'alpha'], STAFF.password)
    const signedIn = await tab.signIn(STAFF)
    expect(signedIn.body).toMatchObject({ stage: 'active', account: { role: 'staff', surveys: ['alpha'] } })
    const surveys = await tab.send('/api/admin/surveys')
    expect(surveys.body.map((survey: { slug: string }) => survey.slug)).toEqual(['alpha'])
    expect((await tab.send('/api/admin/surveys/alpha')).status).toBe(200)
    const other = await tab.send('/api/admin/surveys/beta')
    expect(other.status).toBe(404)
    expect(other.body).toEqual({ statusCode: 404, message: 'Survey not found.' })
    expect((await tab.send('/api/admin/surveys/beta/respondents')).status).toBe(404)
  })

  it('is refused once disabled, at once, and cannot sign in again', async () => {
    const disabled = runCli(['admins:disable', STAFF.email], server.databasePath)
    expect(disabled.status, disabled.stderr).toBe(0)
    expect((await tab.send('/api/admin/surveys/alpha')).status).toBe(401)
    expect((await consoleTab().signIn(STAFF)).status).toBe(401)
    expect(runCli(['admins:enable', STAFF.email], server.databasePath).status).toBe(0)
    expect((await consoleTab().signIn(STAFF)).status).toBe(200)
  })
})

describe('the one-time set-password link', () => {
  it('sets the password once; the account then signs in with it', async () => {
    const printed = createAccount(['--email', 'new@example.org', '--name', 'New Person', '--role', 'staff'])
    const token = /\/admin\/set-password#(\S+)/.exec(printed)![1]!
    expect(printed).toContain(`${ORIGIN}/admin/set-password#`)
    expect((await consoleTab().signIn({ email: 'new@example.org', password: 'not set yet at all' })).status).toBe(401)
    const short = await request('/api/admin/password', { method: 'POST', body: { token, password: 'short' }, headers: { origin: ORIGIN } })
    expect(short.status).toBe(400)
    expect(short.body.errors.password).toBeDefined()
    const set = await request('/api/admin/password', { method: 'POST', body: { token, password: 'a brand new passphrase' }, headers: { origin: ORIGIN } })
    expect(set.status).toBe(200)
    const again = await request('/api/admin/password', { method: 'POST', body: { token, password: 'someone else\'s passphrase' }, headers: { origin: ORIGIN } })
    expect(again.status).toBe(400)
    expect(again.body.errors.token).toBeDefined()
    expect((await consoleTab().signIn({ email: 'new@example.org', password: 'a brand new passphrase' })).status).toBe(200)
    expect((await accountRow('new@example.org')).passwordTokenHash).toBeNull()
  })

  it('admins:list shows the accounts and never a secret', async () => {
    const listed = runCli(['admins:list'], server.databasePath)
    expect(listed.status).toBe(0)
    expect(listed.stdout).toContain('owner@example.org')
    expect(listed.stdout).toContain('new@example.org')
    expect(listed.stdout).not.toContain((await accountRow('owner@example.org')).totpSecret!)
    expect(listed.stdout).not.toMatch(/\$argon2/)
  })
})

describe('failed console sign-ins', () => {
  it('are limited per account, also when sent in parallel', async () => {
    createAccount(['--email', 'target@example.org', '--name', 'Target', '--role', 'staff'], 'the real passphrase 1')
    const attempts = await Promise.all(Array.from({ length: 20 }, (_, index) =>
      request('/api/admin/session', { method: 'POST', body: { email: 'target@example.org', password: `guess number ${index}` }, headers: { 'origin': ORIGIN, 'x-forwarded-for': `198.51.100.${index}` } })))
    const statuses = attempts.map(attempt => attempt.status)
    expect(statuses.filter(status => status === 401)).toHaveLength(5)
    expect(statuses.filter(status => status === 429)).toHaveLength(15)
    const blocked = await request('/api/admin/session', { method: 'POST', body: { email: 'target@example.org', password: 'the real passphrase 1' }, headers: { origin: ORIGIN } })
    expect(blocked.status).toBe(429)
  })

  it('answer wrong e-mail and wrong password alike', async () => {
    const unknown = await request('/api/admin/session', { method: 'POST', body: { email: 'nobody@example.org', password: 'whatever it is' }, headers: { origin: ORIGIN } })
    const wrong = await request('/api/admin/session', { method: 'POST', body: { email: 'new@example.org', password: 'whatever it is' }, headers: { origin: ORIGIN } })
    expect(unknown.status).toBe(401)
    expect(unknown.body).toEqual(wrong.body)
  })
})
