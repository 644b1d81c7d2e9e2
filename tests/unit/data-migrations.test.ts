import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from '#server/database'
import { findSurveyBySlug, upsertSurveys } from '#server/services/surveys'
import { insertRespondent } from '#server/services/respondents'
import { runSqliteSteps } from '#server/database/steps'
import { runCli } from '../support/cli'

const NFD = 'Jose\u0301'
const NFC = 'Jos\u00E9'
const KELVIN = '\u212Aelvin' // the Kelvin sign: NFC makes it a plain K
/** The CLI runs in a process of its own (tsx over the sources): seconds on a busy machine. */
const CLI_TIMEOUT = 60_000
const dir = mkdtempSync(join(tmpdir(), 'gateway-data-migrations-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/**
 * A database as an earlier release left it: usernames stored as they came (NFD among them), and the
 * NFC step not yet recorded in `settings`.
 */
async function earlierDatabase(name: string, usernames: Record<string, string[]>) {
  const path = join(dir, name)
  const { db, sqlite } = openDatabase(path)
  await upsertSurveys(db, Object.keys(usernames).map(slug => ({ slug, name: slug, supportEmail: 'a@example.org' })))
  for (const [slug, list] of Object.entries(usernames)) {
    const survey = (await findSurveyBySlug(db, slug))!
    db.transaction(tx => list.forEach(username => runSqliteSteps(tx, insertRespondent(tx, survey, { username }))))
  }
  sqlite.prepare(`DELETE FROM settings WHERE key LIKE 'data_migration:%'`).run()
  sqlite.close()
  return path
}

const usernamesOf = (path: string) => {
  const { sqlite } = openDatabase(path)
  const rows = sqlite.prepare('SELECT s.slug AS slug, r.user_id AS userId, r.username AS username FROM respondents r JOIN surveys s ON s.id = r.survey_id ORDER BY r.user_id').all() as { slug: string, userId: number, username: string }[]
  sqlite.close()
  return rows
}

describe('start-up data step: usernames to NFC', () => {
  it('normalises a stored NFD username to NFC when opening the database, once', async () => {
    const path = await earlierDatabase('lone.db', { alpha: [NFD, 'plain', KELVIN], beta: [NFD] })
    expect(usernamesOf(path)).toEqual([
      { slug: 'alpha', userId: 1, username: NFC },
      { slug: 'alpha', userId: 2, username: 'plain' },
      { slug: 'alpha', userId: 3, username: 'Kelvin' },
      { slug: 'beta', userId: 4, username: NFC },
    ])
    const { sqlite } = openDatabase(path)
    expect(sqlite.prepare(`SELECT count(*) FROM settings WHERE key = 'data_migration:nfc_usernames'`).pluck().get()).toBe(1)
    // Recorded as done: a username written in NFD afterwards (as by an older process) stays as it is.
    sqlite.prepare('UPDATE respondents SET username = ? WHERE user_id = 4').run(NFD)
    sqlite.close()
    expect(usernamesOf(path).at(-1)!.username).toBe(NFD)
  })

  it('leaves a colliding NFD/NFC pair of one survey as it is, and the CLI lists it', async () => {
    const path = await earlierDatabase('pair.db', { alpha: [NFD, NFC, 'Kelvin', KELVIN], beta: [NFD] })
    expect(usernamesOf(path)).toEqual([
      { slug: 'alpha', userId: 1, username: NFD },
      { slug: 'alpha', userId: 2, username: NFC },
      { slug: 'alpha', userId: 3, username: 'Kelvin' },
      { slug: 'alpha', userId: 4, username: KELVIN },
      { slug: 'beta', userId: 5, username: NFC },
    ])

    const listed = runCli(['respondents:username-collisions', '--json'], path)
    expect(listed.status, listed.stderr).toBe(0)
    expect(JSON.parse(listed.stdout)).toEqual([
      { survey: 'alpha', username: NFC, respondents: [{ userId: 2, username: NFC }, { userId: 1, username: NFD }] },
      { survey: 'alpha', username: 'Kelvin', respondents: [{ userId: 3, username: 'Kelvin' }, { userId: 4, username: KELVIN }] },
    ])
    const table = runCli(['respondents:username-collisions'], path)
    expect(table.status, table.stderr).toBe(0)
    expect(table.stdout).toContain('Jose\\u{301}')
    expect(table.stdout).toContain('\\u{212A}elvin')
    expect(table.stdout).toContain('2 username(s)')
  }, CLI_TIMEOUT)

  it('the CLI says so when nothing collides', async () => {
    const path = await earlierDatabase('none.db', { alpha: [NFD] })
    const listed = runCli(['respondents:username-collisions'], path)
    expect(listed.status, listed.stderr).toBe(0)
    expect(listed.stdout).toContain('No usernames collide')
  }, CLI_TIMEOUT)
})
