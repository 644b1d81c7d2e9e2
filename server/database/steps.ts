import type { SQL } from 'drizzle-orm'
import { prepared } from './prepared'

/**
 * A statement a service wants run: its rows (`rows`, `first`), or only its effect (`exec`), or a piece
 * of SQL that exists on one engine only (`engineSql`: a row lock, a NOTIFY).
 */
export type Op
  = | { kind: 'rows', query: unknown }
    | { kind: 'run', query: unknown }
    | { kind: 'sql', sqlite?: SQL, postgres?: SQL }
    | { kind: 'prepared', name: string, build: (db: never) => unknown, values: Record<string, unknown>, result: 'rows' | 'run' }

/**
 * A sequence of statements, written once for both engines as a generator: `yield*` hands each statement
 * to the engine and resumes with its result. SQLite runs the sequence synchronously (inside its
 * synchronous transactions and its group commit: better-sqlite3 cannot run a promise in a transaction);
 * PostgreSQL runs it asynchronously on a pooled connection. A sequence has no effect outside the
 * database: SQLite's group commit may run it twice.
 */
export type Steps<T> = Generator<Op, T, unknown>

/** Every row the query returns. */
export function* rows<T>(query: PromiseLike<T[]>): Steps<T[]> {
  return (yield { kind: 'rows', query }) as T[]
}

/** The first row the query returns, if any. */
export function* first<T>(query: PromiseLike<T[]>): Steps<T | undefined> {
  return ((yield { kind: 'rows', query }) as T[])[0]
}

/** Runs a statement for its effect. */
export function* exec(query: PromiseLike<unknown>): Steps<void> {
  yield { kind: 'run', query }
}

/** SQL for one engine (or a different statement on each); the other engine skips it. */
export function* engineSql(variants: { sqlite?: SQL, postgres?: SQL }): Steps<void> {
  yield { kind: 'sql', ...variants }
}

/**
 * A hot-path statement written with `sql.placeholder(…)` where its values go: built and compiled once
 * per connection (SQLite) or prepared once per connection under its name (PostgreSQL), then run with
 * `values`. Building a query costs more than running it on SQLite; `name` must be unique to the query.
 */
export function* preparedRows<Handle, T>(
  name: string,
  build: (db: Handle) => PromiseLike<T[]>,
  values: Record<string, unknown>,
): Steps<T[]> {
  return (yield { kind: 'prepared', name, build: build as (db: never) => unknown, values, result: 'rows' }) as T[]
}

/** The first row of `preparedRows`. */
export function* preparedFirst<Handle, T>(
  name: string,
  build: (db: Handle) => PromiseLike<T[]>,
  values: Record<string, unknown>,
): Steps<T | undefined> {
  return (yield* preparedRows(name, build, values))[0]
}

interface SyncQuery { all(): unknown[], run(): unknown }
interface SyncPrepared { all(values: Record<string, unknown>): unknown[], run(values: Record<string, unknown>): unknown }
interface Preparable<Prepared> { prepare(name?: string): Prepared }
interface AsyncPrepared { execute(values: Record<string, unknown>): PromiseLike<unknown> }
interface SqliteHandle { run(query: SQL): unknown }
interface PostgresHandle { execute(query: SQL): PromiseLike<unknown> }

/** Runs the steps on SQLite, synchronously: every statement of better-sqlite3 is. */
export function runSqliteSteps<T>(db: unknown, steps: Steps<T>): T {
  let next = steps.next()
  while (!next.done) {
    const op = next.value
    let result: unknown
    try {
      if (op.kind === 'rows') result = (op.query as SyncQuery).all()
      else if (op.kind === 'run') result = (op.query as SyncQuery).run()
      else if (op.kind === 'prepared') {
        const statement = prepared(db as object, op.name, () => (op.build(db as never) as Preparable<SyncPrepared>).prepare())
        result = op.result === 'rows' ? statement.all(op.values) : statement.run(op.values)
      }
      else if (op.sqlite) result = (db as SqliteHandle).run(op.sqlite)
    }
    catch (error) {
      next = steps.throw(error)
      continue
    }
    next = steps.next(result)
  }
  return next.value
}

/** Runs the steps on PostgreSQL, one awaited statement after the other. */
export async function runPostgresSteps<T>(db: unknown, steps: Steps<T>): Promise<T> {
  let next = steps.next()
  while (!next.done) {
    const op = next.value
    let result: unknown
    try {
      if (op.kind === 'sql') result = op.postgres ? await (db as PostgresHandle).execute(op.postgres) : undefined
      else if (op.kind === 'prepared') {
        // Kept per session like SQLite's: the pool's session serves every statement outside a transaction,
        // so the hot reads skip drizzle's query building; a transaction has a session of its own.
        const statement = prepared(db as object, op.name, () => (op.build(db as never) as Preparable<AsyncPrepared>).prepare(op.name))
        result = await statement.execute(op.values)
      }
      else result = await (op.query as PromiseLike<unknown>)
    }
    catch (error) {
      next = steps.throw(error)
      continue
    }
    next = steps.next(result)
  }
  return next.value
}
