const caches = new WeakMap<object, Map<string, unknown>>()

/**
 * A statement prepared once per database handle and reused: hot paths skip drizzle's query building
 * and SQLite's compilation on every request. (Transactions are separate handles; they prepare anew.)
 */
export function prepared<T>(db: object, key: string, build: () => T): T {
  let cache = caches.get(db)
  if (!cache) caches.set(db, cache = new Map())
  let statement = cache.get(key) as T | undefined
  if (statement === undefined) cache.set(key, statement = build())
  return statement
}
