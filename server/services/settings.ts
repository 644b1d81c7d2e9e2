import { eq } from 'drizzle-orm'
import type { Db, Tx } from '#server/database'
import { settings } from '#server/database/schema'
import { randomToken } from '#server/utils/tokens'

export function getSetting(db: Db | Tx, key: string): string | undefined {
  return db.select().from(settings).where(eq(settings.key, key)).get()?.value
}

/** Stores `create()` under `key` unless a value is there already (another process may have won); returns the stored value. */
export function getOrCreateSetting(db: Db, key: string, create: () => string): string {
  const existing = getSetting(db, key)
  if (existing !== undefined) return existing
  db.insert(settings).values({ key, value: create() }).onConflictDoNothing().run()
  return getSetting(db, key)!
}

/** The access-token signing secret: NUXT_AUTH_SECRET, else one generated on first start and kept in the database. */
export function resolveAuthSecret(db: Db, configured: string | undefined): string {
  if (configured) return configured
  return getOrCreateSetting(db, 'auth_secret', () => randomToken(48))
}
