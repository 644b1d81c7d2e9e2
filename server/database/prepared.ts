const caches = new WeakMap<object, Map<string, unknown>>()

/**
 * A statement prepared once per connection and reused: hot paths skip drizzle's query building and
 * SQLite's compilation on every request. A transaction handle shares its database's session (one
 * connection), so statements are kept per session and serve both.
 */
export function prepared<T>(db: object, key: string, build: () => T): T {
  const connection = (db as { session?: object }).session ?? db
  let cache = caches.get(connection)
  if (!cache) caches.set(connection, cache = new Map())
  let statement = cache.get(key) as T | undefined
  if (statement === undefined) cache.set(key, statement = build())
  return statement
}
