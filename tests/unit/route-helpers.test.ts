import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { root } from '../../scripts/ensure-build.mjs'

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) yield* files(path)
    else if (path.endsWith('.ts')) yield path
  }
}

// The public entry route answers from the cache of public entries, not from a survey row; the audit log
// filters by a slug that may name a deleted survey and refuses only one outside the caller's list.
const ownLookup = new Set(['server/api/surveys/[slug]/index.get.ts', 'server/api/admin/audit.get.ts'])

describe('route helpers', () => {
  it('every route that needs a survey finds it through requireSurvey (or adminSurvey), not "find it, else 404" of its own', () => {
    const offenders = [...files(join(root, 'server', 'api'))]
      .map(file => relative(root, file))
      .filter(file => !ownLookup.has(file) && /Survey not found/.test(readFileSync(join(root, file), 'utf8')))
    expect(offenders).toEqual([])
  })
})
