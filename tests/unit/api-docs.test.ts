import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { operations } from '#server/openapi/document'

const apiPage = readFileSync(fileURLToPath(new URL('../../docs/api.md', import.meta.url)), 'utf8')

/** The rows of docs/api.md's endpoint table: `| \`METHOD\` | \`/path\` | auth | codes |`. */
function documentedEndpoints(): Map<string, number[]> {
  const rows = new Map<string, number[]>()
  for (const [, method, path, codes] of apiPage.matchAll(/^\| `([A-Z]+)` \| `([^`?]+)(?:\?[^`]*)?` \| [^|]+ \| ([\d, ]+) \|$/gm))
    rows.set(`${method} ${path}`, codes!.split(',').map(Number).sort())
  return rows
}

describe('docs/api.md', () => {
  it('lists every operation of the OpenAPI document, and nothing else, with the same status codes', () => {
    const documented = documentedEndpoints()
    const inDocument = new Map(operations.map(operation => [
      `${operation.method.toUpperCase()} ${operation.path}`,
      Object.keys(operation.responses).map(Number).sort(),
    ]))
    expect([...documented.keys()].sort()).toEqual([...inDocument.keys()].sort())
    for (const [endpoint, codes] of inDocument) expect(documented.get(endpoint), endpoint).toEqual(codes)
  })
})
