import { defineConfig } from 'drizzle-kit'
import { parseDatabaseUrl } from './server/database/paths'

// Migrations for the PostgreSQL engine (`npm run db:generate` makes both engines' migrations). DATABASE_URL
// is read by the app's parser (the same refusals); when it names a SQLite file, the local PostgreSQL is used.
const target = parseDatabaseUrl()

export default defineConfig({
  dialect: 'postgresql',
  schema: './server/database/schema.postgres.ts',
  out: './drizzle/postgres',
  dbCredentials: { url: target.dialect === 'postgres' ? target.url : 'postgres://postgres@127.0.0.1:5432/postgres' },
})
