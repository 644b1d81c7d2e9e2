import { defineConfig } from 'drizzle-kit'
import { databasePath, DEFAULT_DATABASE_URL, parseDatabaseUrl } from './server/database/paths'

// The same reading of DATABASE_URL as the app's: the same file, and the same refusals. When DATABASE_URL
// names PostgreSQL, this (SQLite) config works on the default file; drizzle.postgres.config.ts on the URL.
const target = parseDatabaseUrl()

export default defineConfig({
  dialect: 'sqlite',
  schema: './server/database/schema.ts',
  out: './drizzle',
  dbCredentials: { url: target.dialect === 'sqlite' ? target.path : databasePath(DEFAULT_DATABASE_URL) },
})
