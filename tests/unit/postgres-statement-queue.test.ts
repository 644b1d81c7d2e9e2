import type pg from 'pg'
import { describe, expect, it } from 'vitest'
import { StatementQueue } from '#server/database/postgres-statement-queue'

interface Item { id: number, key?: string, fails?: boolean }

/** A queue whose statements are recorded and finish when the test lets them. */
function recordedQueue(atOnce: number) {
  const statements: number[][] = []
  const finish: (() => void)[] = []
  const queue = new StatementQueue<Item, string>({
    atOnce,
    most: 5,
    exclusiveKey: item => item.key,
    run: async (_pool, items) => {
      statements.push(items.map(item => item.id))
      await new Promise<void>(done => finish.push(done))
      if (items.some(item => item.fails)) throw new Error(`statement of ${items.map(item => item.id).join(',')} failed`)
      return items.map(item => `answer ${item.id}`)
    },
  })
  const finishAll = async () => {
    while (finish.length) {
      finish.splice(0).forEach(done => done())
      await new Promise(done => setTimeout(done, 0))
    }
  }
  return { queue, statements, finishAll, pool: {} as pg.Pool }
}

describe('StatementQueue (PostgreSQL group commit)', () => {
  it('runs at once while fewer than atOnce statements run; the items that wait share the next, at most `most` each', async () => {
    const { queue, statements, finishAll, pool } = recordedQueue(2)
    const answers = Promise.all(Array.from({ length: 10 }, (_, id) => queue.add(pool, { id })))
    expect(statements).toEqual([[0], [1]])
    await finishAll()
    expect(await answers).toEqual(Array.from({ length: 10 }, (_, id) => `answer ${id}`))
    expect(statements).toEqual([[0], [1], [2, 3, 4, 5, 6], [7, 8, 9]])
    expect(queue.statementsRun(pool)).toEqual({ statements: 4, items: 10 })
  })

  it('never puts two items with one key in a statement', async () => {
    const { queue, statements, finishAll, pool } = recordedQueue(1)
    const answers = Promise.all([{ id: 0 }, { id: 1, key: 'a' }, { id: 2, key: 'a' }, { id: 3, key: 'b' }, { id: 4, key: 'a' }, { id: 5 }].map(item => queue.add(pool, item)))
    await finishAll()
    await answers
    expect(statements).toEqual([[0], [1, 3, 5], [2], [4]])
  })

  it('runs each item of a failed shared statement alone: only the one that fails alone is refused', async () => {
    const { queue, statements, finishAll, pool } = recordedQueue(1)
    const outcomes = Promise.all([{ id: 0 }, { id: 1 }, { id: 2, fails: true }, { id: 3 }].map(item =>
      queue.add(pool, item).then(answer => answer, (error: Error) => error.message)))
    await finishAll()
    expect(await outcomes).toEqual(['answer 0', 'answer 1', 'statement of 2 failed', 'answer 3'])
    expect(statements).toEqual([[0], [1, 2, 3], [1], [2], [3]])
    expect(queue.statementsRun(pool)).toEqual({ statements: 3, items: 3 })
  })
})
