import { describe, expect, it } from 'vitest'
import { hashPassword, verifyPassword } from '#server/utils/passwords'

describe('password hashing', () => {
  it('is argon2id with OWASP\'s minimum cost, and verifies', async () => {
    const hash = await hashPassword('Correct-horse-9')
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(await verifyPassword(hash, 'Correct-horse-9')).toBe(true)
    expect(await verifyPassword(hash, 'correct-horse-9')).toBe(false)
    expect(await verifyPassword(null, 'anything')).toBe(false)
    expect(await verifyPassword('not a hash', 'anything')).toBe(false)
  })

  it('runs off the event loop: other callbacks run while a hash is computed', async () => {
    let eventLoopTurned = false
    setImmediate(() => {
      eventLoopTurned = true
    })
    // A synchronous hash would finish (and resolve) before the event loop got another turn.
    await Promise.all([hashPassword('a-Password-1'), hashPassword('b-Password-2'), hashPassword('c-Password-3')])
    expect(eventLoopTurned).toBe(true)
  })
})
