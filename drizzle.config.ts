import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'sqlite',
  schema: './server/database/schema.ts',
  out: './drizzle',
  dbCredentials: { url: process.env.DATABASE_URL?.replace(/^file:/, '') || './data/gateway.db' },
})
