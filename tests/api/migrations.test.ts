import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '#server/database'
import { root } from '../../scripts/ensure-build.mjs'
import { request, useTestServer } from '../support/server'

interface Journal { entries: { tag: string }[] }
const journal: Journal = JSON.parse(readFileSync(join(root, 'drizzle', 'meta', '_journal.json'), 'utf8'))

/** A database as an older release left it: every migration but the newest applied, with a survey in it. */
function olderDatabase(path: string) {
  const older = mkdtempSync(join(tmpdir(), 'gateway-older-migrations-'))
  cpSync(join(root, 'drizzle'), older, { recursive: true })
  writeFileSync(join(older, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, -1) }))
  const { sqlite } = openDatabase(path, { migrationsFolder: older })
  const hasSurveys = sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'surveys'`).get()
  if (hasSurveys) {
    sqlite.prepare(`INSERT INTO surveys (slug, name, support_email, state, allow_gen_users, created_at, updated_at) VALUES ('older', 'From the older release', 'old@example.org', 'active', 1, 0, 0)`).run()
  }
  sqlite.close()
}

const server = await useTestServer({}, { prepare: olderDatabase })

describe('migrations at start-up', () => {
  it('applies every newer migration over an older database and keeps its data', async () => {
    const sqlite = new Database(server.databasePath, { readonly: true })
    const applied = sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }
    const mode = sqlite.pragma('journal_mode', { simple: true })
    sqlite.close()
    expect(applied.n).toBe(journal.entries.length)
    expect(mode).toBe('wal')
    const response = await request('/api/surveys')
    expect(response.status).toBe(200)
    if (journal.entries.length > 1) expect(JSON.stringify(response.body)).toContain('From the older release')
  })
})
