import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '#server/database'
import { users } from '#server/database/schema'
import { writeTransaction } from '#server/database/write-batch'

const folders: string[] = []
afterEach(async () => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
})

/** The server's connection, and a second one (another process, in effect) to see what is committed. */
function twoConnections() {
  const folder = mkdtempSync(join(tmpdir(), 'rg-write-batch-'))
  folders.push(folder)
  const file = join(folder, 'app.db')
  const { db, sqlite } = openDatabase(file)
  const observer = new Database(file, { readonly: true })
  const committedNames = () => (observer.prepare('SELECT name FROM users ORDER BY id').pluck().all() as string[])
  return { db, sqlite, committedNames, close: () => (observer.close(), sqlite.close()) }
}

const insertUser = (name: string) => (tx: Parameters<Parameters<typeof writeTransaction>[1]>[0]) => {
  const now = new Date()
  return tx.insert(users).values({ name, createdAt: now, updatedAt: now }).returning().get()!.id
}

class Refused extends Error {}

describe('group commit (writeTransaction)', () => {
  it('commits the writes of one turn in one transaction, and settles each only after that commit', async () => {
    const { db, committedNames, close } = twoConnections()
    const seenUncommitted: string[][] = []
    const writes = Array.from({ length: 20 }, (_, index) => writeTransaction(db, (tx) => {
      // Every earlier write of this turn is still uncommitted while this one runs: one transaction.
      seenUncommitted.push(committedNames())
      return insertUser(`user-${index}`)(tx)
    }).then((id) => {
      // Settled only once the row is visible to another connection.
      expect(committedNames()).toContain(`user-${index}`)
      return id
    }))
    const ids = await Promise.all(writes)
    expect(seenUncommitted.every(names => names.length === 0)).toBe(true)
    expect(new Set(ids).size).toBe(20)
    expect(committedNames()).toEqual(Array.from({ length: 20 }, (_, index) => `user-${index}`))
    close()
  })

  it('undoes a write that throws, rejects only its promise, and commits the rest of the batch', async () => {
    const { db, committedNames, close } = twoConnections()
    const results = await Promise.allSettled([
      writeTransaction(db, insertUser('first')),
      writeTransaction(db, (tx) => {
        insertUser('half-written')(tx)
        throw new Refused('no')
      }),
      writeTransaction(db, insertUser('third')),
    ])
    expect(results.map(result => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(Refused)
    expect(committedNames()).toEqual(['first', 'third'])
    close()
  })

  it('rolls back a lone write that throws', async () => {
    const { db, committedNames, close } = twoConnections()
    await expect(writeTransaction(db, (tx) => {
      insertUser('lonely')(tx)
      throw new Refused('no')
    })).rejects.toBeInstanceOf(Refused)
    expect(committedNames()).toEqual([])
    await expect(writeTransaction(db, insertUser('next'))).resolves.toBeTypeOf('number')
    expect(committedNames()).toEqual(['next'])
    close()
  })

  it('rejects every write of the batch when the commit itself fails', async () => {
    const { db, sqlite, committedNames, close } = twoConnections()
    const blocker = new Database(sqlite.name)
    blocker.pragma('busy_timeout = 0')
    sqlite.pragma('busy_timeout = 0')
    blocker.prepare('BEGIN IMMEDIATE').run()
    const results = await Promise.allSettled([writeTransaction(db, insertUser('a')), writeTransaction(db, insertUser('b'))])
    blocker.prepare('ROLLBACK').run()
    blocker.close()
    expect(results.map(result => result.status)).toEqual(['rejected', 'rejected'])
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/locked|busy/i)
    expect(committedNames()).toEqual([])
    close()
  })
})
