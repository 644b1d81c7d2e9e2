import { defineConfig } from 'drizzle-kit'

// Migrations for the PostgreSQL engine (`npm run db:generate` makes both engines' migrations).
export default defineConfig({
  dialect: 'postgresql',
  schema: './server/database/schema.postgres.ts',
  out: './drizzle/postgres',
  dbCredentials: { url: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres' },
})
