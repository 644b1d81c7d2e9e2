import type pg from 'pg'

export interface StatementQueueOptions<Item, Answer> {
  /** How many of these statements one process keeps running at once on a pool. */
  atOnce: number
  /** The most items one statement carries. */
  most: number
  /** Items with the same key never share a statement: the later waits for the next one. */
  exclusiveKey?: (item: Item) => string | undefined
  /** Runs one statement for the items; answers each, in their order. */
  run: (pool: pg.Pool, items: Item[]) => Promise<Answer[]>
}

interface Waiting<Item, Answer> { item: Item, resolve: (answer: Answer) => void, reject: (error: unknown) => void }
interface PoolQueue<Item, Answer> { waiting: Waiting<Item, Answer>[], running: number }

/**
 * Group commit for PostgreSQL: the writes of one kind that arrive while `atOnce` statements of that
 * kind are running wait, and then share the next statement — one round trip, one plan start-up and one
 * commit (a WAL flush) for many. Under light load each write is a statement of its own, at once.
 *
 * Each write keeps its own outcome: when a shared statement fails (one write's fault, or two statements
 * waiting on each other's rows, which PostgreSQL breaks by failing one), each of its writes runs again
 * in a statement of its own, so only a write that fails alone is refused. A statement commits or fails
 * whole, so a write is answered only after the commit that made it durable.
 */
export class StatementQueue<Item, Answer> {
  private readonly queues = new WeakMap<pg.Pool, PoolQueue<Item, Answer>>()
  private readonly counts = new WeakMap<pg.Pool, { statements: number, items: number }>()

  constructor(private readonly options: StatementQueueOptions<Item, Answer>) {}

  add(pool: pg.Pool, item: Item): Promise<Answer> {
    let queue = this.queues.get(pool)
    if (!queue) this.queues.set(pool, queue = { waiting: [], running: 0 })
    const answer = new Promise<Answer>((resolve, reject) => queue.waiting.push({ item, resolve, reject }))
    this.start(pool, queue)
    return answer
  }

  /** The statements this process has run on the pool, and the items they carried. */
  statementsRun(pool: pg.Pool): { statements: number, items: number } {
    return { ...this.counts.get(pool) ?? { statements: 0, items: 0 } }
  }

  private start(pool: pg.Pool, queue: PoolQueue<Item, Answer>) {
    while (queue.running < this.options.atOnce && queue.waiting.length) {
      const batch = this.take(queue)
      queue.running++
      void this.runShared(pool, batch).finally(() => {
        queue.running--
        this.start(pool, queue)
      })
    }
  }

  /** The waiting items that go into one statement, in arrival order. */
  private take(queue: PoolQueue<Item, Answer>): Waiting<Item, Answer>[] {
    const batch: Waiting<Item, Answer>[] = []
    const keys = new Set<string>()
    const left: Waiting<Item, Answer>[] = []
    for (const waiting of queue.waiting) {
      const key = this.options.exclusiveKey?.(waiting.item)
      if (batch.length >= this.options.most || (key !== undefined && keys.has(key))) {
        left.push(waiting)
        continue
      }
      if (key !== undefined) keys.add(key)
      batch.push(waiting)
    }
    queue.waiting = left
    return batch
  }

  private async runShared(pool: pg.Pool, batch: Waiting<Item, Answer>[]): Promise<void> {
    let answers: Answer[]
    try {
      answers = await this.options.run(pool, batch.map(waiting => waiting.item))
      const counts = this.counts.get(pool) ?? { statements: 0, items: 0 }
      this.counts.set(pool, { statements: counts.statements + 1, items: counts.items + batch.length })
    }
    catch (error) {
      if (batch.length > 1) {
        await Promise.all(batch.map(waiting => this.runShared(pool, [waiting])))
        return
      }
      batch[0]!.reject(error)
      return
    }
    batch.forEach((waiting, index) => waiting.resolve(answers[index]!))
  }
}
