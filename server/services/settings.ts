import { eq } from 'drizzle-orm'
import { read, tables, type Db, type Tx } from '#server/database'
import { exec, first, type Steps } from '#server/database/steps'
import { randomToken } from '#server/utils/tokens'

export function* settingIn(db: Db | Tx, key: string): Steps<string | undefined> {
  const { settings } = tables(db)
  return (yield* first(db.select().from(settings).where(eq(settings.key, key))))?.value
}

export const getSetting = (db: Db, key: string) => read(db, db => settingIn(db, key))

/** Stores `create()` under `key` unless a value is there already (another process may have won); returns the stored value. */
export function getOrCreateSetting(db: Db, key: string, create: () => string): Promise<string> {
  return read(db, function* (db) {
    const existing = yield* settingIn(db, key)
    if (existing !== undefined) return existing
    yield* exec(db.insert(tables(db).settings).values({ key, value: create() }).onConflictDoNothing())
    return (yield* settingIn(db, key))!
  })
}

/** The access-token signing secret: NUXT_AUTH_SECRET, else one generated on first start and kept in the database. */
export async function resolveAuthSecret(db: Db, configured: string | undefined): Promise<string> {
  if (configured) return configured
  return getOrCreateSetting(db, 'auth_secret', () => randomToken(48))
}
