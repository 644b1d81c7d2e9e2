// Writes server/database/schema.postgres.ts from server/database/schema.ts, the one source of the schema.
// drizzle has no dialect-neutral schema, so each engine needs its own table definitions; this makes the
// PostgreSQL ones from the SQLite ones, column for column, under the same table, column and index names:
// timestamps become `timestamptz`, flags `boolean`, JSON `jsonb`, autoincrement ids identity columns.
// `npm run db:generate` runs it before drizzle-kit; tests/unit/schemas-alike.test.ts checks it was run.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const sqliteSchema = fileURLToPath(new URL('../server/database/schema.ts', import.meta.url))
const postgresSchema = fileURLToPath(new URL('../server/database/schema.postgres.ts', import.meta.url))

const HEADER = `// Generated from schema.ts by scripts/postgres-schema.mjs (\`npm run db:generate\`): edit schema.ts, not this file.
// The same tables, columns and indexes under the same names; timestamps are timestamptz, flags boolean,
// JSON jsonb, so both engines hand the services the same JavaScript values (Date, boolean, parsed JSON).
`

/** A JSON value of plain words as this project writes JavaScript: single quotes, a space after commas. */
function literal(value) {
  const text = JSON.stringify(value)
  if (text.includes('\'') || text.includes('\\')) throw new Error(`cannot write ${text} as a literal`)
  return text.replace(/"/g, '\'').replace(/,/g, ', ')
}

/** Each rule: a pattern in the SQLite schema and what it becomes for PostgreSQL. */
const RULES = [
  [/\bsqliteTable\(/g, 'pgTable('],
  [/\binteger\(('[^']+'), \{ mode: 'timestamp_ms' \}\)/g, 'timestamp($1, { withTimezone: true, mode: \'date\' })'],
  [/\binteger\(('[^']+'), \{ mode: 'boolean' \}\)/g, 'boolean($1)'],
  // JSON columns: jsonb, with the default as a value (drizzle writes it as a jsonb literal).
  [/\btext\(('[^']+'), \{ mode: 'json' \}\)(.*?)\.default\(sql`'(.*?)'`\)/g,
    (_, name, chain, json) => `jsonb(${name})${chain}.default(${literal(JSON.parse(json))})`],
  [/\btext\(('[^']+'), \{ mode: 'json' \}\)/g, 'jsonb($1)'],
  [/\.primaryKey\(\{ autoIncrement: true \}\)/g, '.primaryKey().generatedByDefaultAsIdentity()'],
]

const PG_BUILDERS = ['bigint', 'boolean', 'index', 'integer', 'jsonb', 'pgTable', 'primaryKey', 'text', 'timestamp', 'uniqueIndex']

export function postgresSchemaSource(source = readFileSync(sqliteSchema, 'utf8')) {
  let body = source.replace(/^import \{[^}]*\} from 'drizzle-orm\/sqlite-core'\n/m, '\0')
  if (!body.includes('\0')) throw new Error('schema.ts does not import from drizzle-orm/sqlite-core as expected')
  for (const [pattern, replacement] of RULES) body = body.replace(pattern, replacement)
  const leftover = /\bsqlite|\{ mode: '(?:timestamp_ms|boolean|json)' \}|autoIncrement/.exec(body.replace('\0', ''))
  if (leftover) throw new Error(`scripts/postgres-schema.mjs has no rule for "${leftover[0]}" in schema.ts`)
  const used = PG_BUILDERS.filter(name => new RegExp(`\\b${name}\\(`).test(body))
  return HEADER + body.replace('\0', `import { ${used.join(', ')} } from 'drizzle-orm/pg-core'\n`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(postgresSchema, postgresSchemaSource())
  console.log('Wrote server/database/schema.postgres.ts from schema.ts')
}
