import { hash, verify } from '@node-rs/argon2'

/** OWASP's argon2id minimum: 19 MiB, two passes, one lane. */
// algorithm 2 = Argon2id (the package's Algorithm enum is a const enum, not importable here).
const ARGON2ID = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const
/** Hashes run on libuv's thread pool; at most this many at once so a burst cannot starve the rest of the server. */
const MAX_CONCURRENT_HASHES = 2

let running = 0
const waiting: (() => void)[] = []

async function bounded<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_HASHES) await new Promise<void>(resolve => waiting.push(resolve))
  running++
  try {
    return await work()
  }
  finally {
    running--
    waiting.shift()?.()
  }
}

export function hashPassword(password: string): Promise<string> {
  return bounded(() => hash(password, ARGON2ID))
}

/** A hash of nothing in particular, verified against when the user does not exist so timing does not tell. */
let decoyHash: Promise<string> | undefined

export async function verifyPassword(passwordHash: string | null | undefined, password: string): Promise<boolean> {
  if (!passwordHash) {
    decoyHash ??= hashPassword('decoy password that matches nothing')
    await bounded(async () => verify(await decoyHash!, password).catch(() => false))
    return false
  }
  return bounded(() => verify(passwordHash, password).catch(() => false))
}
