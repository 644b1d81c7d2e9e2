import { defineConfig } from 'drizzle-kit'
import { parseDatabaseUrl } from './server/database/paths'

export default defineConfig({
  dialect: 'sqlite',
  schema: './server/database/schema.ts',
  out: './drizzle',
  // The same reading of DATABASE_URL as the app's: the same file, and the same refusals.
  dbCredentials: { url: parseDatabaseUrl().path },
})
