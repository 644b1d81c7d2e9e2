import type { Db, Tx } from '.'

interface Job { work: (tx: Tx) => unknown, resolve: (value: unknown) => void, reject: (error: unknown) => void }
type Outcome = { ok: true, value: unknown } | { ok: false, error: unknown }

const pending = new Map<Db, Job[]>()

/**
 * Group commit. `work` runs synchronously inside a write (IMMEDIATE) transaction that it shares with
 * every other write asked for in the same turn of the event loop; the promise settles after that
 * transaction has committed, so a caller answers only once its write is durable, exactly as with a
 * transaction of its own. Under load this turns fifty commits into one: the commit (WAL append,
 * locks, checkpoints) is the largest cost of a small write.
 *
 * Each write is isolated: one that throws leaves no trace and rejects only its own promise. The batch
 * first runs every write plainly; if one throws, the batch is rolled back and run again with a
 * savepoint around each write (savepoints cost about as much as the write itself, and a throwing write
 * is the exception). So `work` must have no effects outside the database: it may run twice.
 */
export function writeTransaction<T>(db: Db, work: (tx: Tx) => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let jobs = pending.get(db)
    if (!jobs) {
      pending.set(db, jobs = [])
      setImmediate(() => flush(db))
    }
    jobs.push({ work, resolve: resolve as (value: unknown) => void, reject })
  })
}

class RetryWithSavepoints extends Error {}

function flush(db: Db) {
  const jobs = pending.get(db) ?? []
  pending.delete(db)
  let outcomes: Outcome[]
  try {
    outcomes = runBatch(db, jobs, false)
  }
  catch (error) {
    if (!(error instanceof RetryWithSavepoints)) return jobs.forEach(job => job.reject(error))
    try {
      outcomes = runBatch(db, jobs, true)
    }
    catch (retryError) {
      return jobs.forEach(job => job.reject(retryError))
    }
  }
  jobs.forEach((job, index) => {
    const outcome = outcomes[index]!
    if (outcome.ok) job.resolve(outcome.value)
    else job.reject(outcome.error)
  })
}

function runBatch(db: Db, jobs: Job[], isolated: boolean): Outcome[] {
  return db.transaction((tx) => {
    if (jobs.length === 1 && !isolated) {
      // Alone in its batch: its error rolls the transaction back, which is all the isolation it needs.
      return [{ ok: true, value: jobs[0]!.work(tx) }]
    }
    return jobs.map((job): Outcome => {
      if (!isolated) {
        try {
          return { ok: true, value: job.work(tx) }
        }
        catch {
          throw new RetryWithSavepoints()
        }
      }
      try {
        return { ok: true, value: tx.transaction(savepoint => job.work(savepoint)) }
      }
      catch (error) {
        return { ok: false, error }
      }
    })
  }, { behavior: 'immediate' })
}
