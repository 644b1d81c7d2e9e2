import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { count } from 'drizzle-orm'
import { surveys } from '../../server/database/schema'
import { findSurveyBySlug } from '../../server/services/surveys'
import { runCli } from '../support/cli'
import { request, useTestServer } from '../support/server'

const server = await useTestServer()
const files = mkdtempSync(join(tmpdir(), 'gateway-cli-'))

function surveyFile(name: string, content: unknown) {
  const path = join(files, name)
  writeFileSync(path, JSON.stringify(content))
  return path
}

describe('npm run cli -- surveys:upsert', () => {
  it('creates a survey that the API then serves as its public entry', async () => {
    const file = surveyFile('one.json', {
      slug: 'Cohort-2026',
      name: 'Cohort 2026 recall',
      localeId: 'en_GB',
      supportEmail: 'cohort@example.org',
      state: 'active',
      allowGenUsers: true,
      authCaptcha: true,
      authModes: ['username'],
    })
    const result = runCli(['surveys:upsert', file], server.databasePath)
    expect(result.status).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ result: 'created', survey: { slug: 'Cohort-2026', genUserKeySet: false } })

    const response = await request('/api/surveys/cohort-2026')
    expect(response.status).toBe(200)
    expect(response.body).toEqual({
      id: expect.stringMatching(/^\d+$/),
      slug: 'Cohort-2026',
      name: 'Cohort 2026 recall',
      localeId: 'en_GB',
      originatingUrl: null,
      supportEmail: 'cohort@example.org',
      openAccess: true,
      authCaptcha: true,
      authModes: ['username'],
    })
  })

  it('updates by slug ignoring case and keeps omitted fields; never prints the secret', async () => {
    const secret = 's3cret-'.repeat(6)
    const result = runCli(['surveys:upsert', surveyFile('update.json', [{ slug: 'COHORT-2026', name: 'Cohort 2026 (renamed)', genUserKey: secret }])], server.databasePath)
    expect(result.status).toBe(0)
    expect(result.stdout).not.toContain(secret)
    expect(JSON.parse(result.stdout)[0]).toMatchObject({ result: 'updated', survey: { slug: 'Cohort-2026', name: 'Cohort 2026 (renamed)', supportEmail: 'cohort@example.org', genUserKeySet: true } })

    const entry = await request('/api/surveys/Cohort-2026')
    expect(entry.body).toMatchObject({ name: 'Cohort 2026 (renamed)', openAccess: false })
    const list = await request<unknown[]>('/api/surveys')
    expect(JSON.stringify(list.body)).not.toContain('Cohort-2026')

    const listed = runCli(['surveys:list'], server.databasePath)
    expect(listed.status).toBe(0)
    expect(listed.stdout).toContain('Cohort-2026')
    expect(listed.stdout).toContain('set')
    expect(listed.stdout).not.toContain(secret)
  })

  it('rejects a bad survey file with a message per field, exit code 1, and writes nothing', async () => {
    const before = server.db().select({ n: count() }).from(surveys).get()!.n
    const result = runCli(['surveys:upsert', surveyFile('bad.json', [
      { slug: 'Cohort-2026', name: 'Should not be applied' },
      { slug: 'bad slug!', name: 'x', supportEmail: 'x@example.org' },
      { slug: 'short-secret', name: 7, supportEmail: 'not-an-email', genUserKey: 'too-short', allowGenUsers: 'yes', state: 'open' },
    ])], server.databasePath)
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('1.slug')
    expect(result.stderr).toContain('2.name')
    expect(result.stderr).toContain('2.supportEmail')
    expect(result.stderr).toMatch(/2\.genUserKey: must be at least 32 characters/)
    expect(result.stderr).toContain('2.allowGenUsers')
    expect(result.stderr).toContain('2.state')
    expect(server.db().select({ n: count() }).from(surveys).get()!.n).toBe(before)
    expect(findSurveyBySlug(server.db(), 'Cohort-2026')!.name).toBe('Cohort 2026 (renamed)')
  })

  it('rejects a file that is not JSON and an unknown command', () => {
    const path = join(files, 'broken.json')
    writeFileSync(path, '{ not json')
    const broken = runCli(['surveys:upsert', path], server.databasePath)
    expect(broken.status).toBe(1)
    expect(broken.stderr).toContain('Cannot read')
    const unknown = runCli(['surveys:explode'], server.databasePath)
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toContain('Unknown command')
  })

  it('keeps the data across a server restart', async () => {
    await server.restart()
    const response = await request('/api/surveys/cohort-2026')
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ name: 'Cohort 2026 (renamed)' })
  })
})
