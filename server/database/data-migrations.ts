import type Database from 'better-sqlite3'

/**
 * Data steps that SQL migrations cannot express (SQLite has no Unicode normalisation). Each runs once
 * per database, right after the SQL migrations, and is remembered in `settings` under its key. Each is
 * idempotent too, so two processes opening one file at once do no harm.
 */
const STEPS: { key: string, run: (sqlite: Database.Database) => void }[] = [
  { key: 'data_migration:nfc_usernames', run: normaliseUsernames },
]

export function runDataMigrations(sqlite: Database.Database) {
  // Opened with an older migration folder (as a test of upgrades does), the tables may not exist yet.
  const tables = sqlite.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('settings', 'respondents', 'surveys')`).pluck().get()
  if (tables !== 3) return
  const done = sqlite.prepare('SELECT 1 FROM settings WHERE key = ?').pluck()
  for (const step of STEPS) {
    if (done.get(step.key)) continue
    sqlite.transaction(() => {
      if (done.get(step.key)) return // another process got there first
      step.run(sqlite)
      sqlite.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run(step.key, new Date().toISOString())
    }).immediate()
  }
}

export interface UsernameRow { id: number, surveyId: number, surveySlug: string, userId: number, username: string }
export interface UsernameCollision { surveySlug: string, username: string, respondents: UsernameRow[] }

/** Only a username with a character outside printable ASCII can change under NFC; GLOB compares code points. */
const NOT_PRINTABLE_ASCII = `r.username GLOB '*[^ -~]*'`
const ROW_COLUMNS = 'r.id AS id, r.survey_id AS surveyId, s.slug AS surveySlug, r.user_id AS userId, r.username AS username'

/**
 * Usernames that are not in NFC, each with the respondents of its survey that read the same once
 * normalised (its own row first). A group of one can be normalised in place; a larger group is a
 * collision: several respondents that a person cannot tell apart.
 */
function usernameGroups(sqlite: Database.Database): UsernameCollision[] {
  const rows = sqlite.prepare(`SELECT ${ROW_COLUMNS} FROM respondents r JOIN surveys s ON s.id = r.survey_id
    WHERE ${NOT_PRINTABLE_ASCII} ORDER BY r.survey_id, r.user_id`).all() as UsernameRow[]
  const sameAs = sqlite.prepare(`SELECT ${ROW_COLUMNS} FROM respondents r JOIN surveys s ON s.id = r.survey_id
    WHERE r.survey_id = ? AND r.username = ?`)
  const groups = new Map<string, UsernameCollision>()
  for (const row of rows) {
    const normalised = row.username.normalize('NFC')
    if (normalised === row.username) continue
    const key = `${row.surveyId}\u0000${normalised}`
    let group = groups.get(key)
    if (!group) {
      group = { surveySlug: row.surveySlug, username: normalised, respondents: [] }
      const holder = sameAs.get(row.surveyId, normalised) as UsernameRow | undefined
      if (holder) group.respondents.push(holder)
      groups.set(key, group)
    }
    group.respondents.push(row)
  }
  return [...groups.values()]
}

/** Rewrites usernames to NFC where that merges nothing; a colliding group is left as it is (see `usernameCollisions`). */
function normaliseUsernames(sqlite: Database.Database) {
  const update = sqlite.prepare('UPDATE respondents SET username = ?, updated_at = ? WHERE id = ?')
  for (const group of usernameGroups(sqlite)) {
    if (group.respondents.length !== 1) continue
    const [row] = group.respondents as [UsernameRow]
    update.run(group.username, Date.now(), row.id)
  }
}

/** Respondents of one survey whose usernames differ only in Unicode normalisation (left alone by the NFC step). */
export function usernameCollisions(sqlite: Database.Database): UsernameCollision[] {
  return usernameGroups(sqlite).filter(group => group.respondents.length > 1)
}
