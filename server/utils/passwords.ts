import { hash, verify } from '@node-rs/argon2'
import { AppError } from './errors'

/** OWASP's argon2id minimum: 19 MiB, two passes, one lane. */
// algorithm 2 = Argon2id (the package's Algorithm enum is a const enum, not importable here).
const ARGON2ID = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const

export interface HashingLimits {
  /** Hashes running at once on libuv's thread pool, so a burst cannot starve the rest of the server. */
  concurrency: number
  /** Hashes waiting, in all; past it a request is refused at once (503 + Retry-After) instead of queueing. */
  queueMax: number
  /** Hashes waiting for one client address (one lane), so one network cannot fill the whole queue. */
  queueMaxPerLane: number
}

export const DEFAULT_HASHING_LIMITS: HashingLimits = { concurrency: 2, queueMax: 100, queueMaxPerLane: 50 }

let limits = { ...DEFAULT_HASHING_LIMITS }
let running = 0
let waitingCount = 0
interface Waiter { start: () => void, refuse: (error: AppError) => void }
/**
 * Waiting hashes by lane (a client address). As in fq_codel, a lane that has just appeared is served
 * before the lanes that keep a backlog, which take turns (round-robin). So a respondent signing in
 * waits for the hashes already running, not behind a flood from other addresses, and a flood from one
 * address delays another busy one by one hash per turn.
 */
const newLanes = new Map<string, Waiter[]>()
const oldLanes = new Map<string, Waiter[]>()
/** A running estimate of one hash's duration, for Retry-After. */
let averageHashMs = 70

export function configurePasswordHashing(next: Partial<HashingLimits>) {
  limits = { ...limits, ...Object.fromEntries(Object.entries(next).filter(([, value]) => Number.isFinite(value) && value! >= 1)) }
}

export const hashingQueueLength = () => waitingCount

const abandoned = () => new AppError(503, 'The request was abandoned before its password was checked.')

function busy(): AppError {
  const seconds = Math.max(1, Math.ceil(((waitingCount / limits.concurrency) + 1) * averageHashMs / 1000))
  return new AppError(503, 'The server is busy checking passwords. Please try again in a moment.', undefined, { 'Retry-After': String(seconds) })
}

function dispatch() {
  while (running < limits.concurrency && (newLanes.size || oldLanes.size)) {
    const lanes = newLanes.size ? newLanes : oldLanes
    const [lane, queue] = lanes.entries().next().value as [string, Waiter[]]
    lanes.delete(lane)
    const waiter = queue.shift()!
    // A lane with more waiting goes to the back of the turns.
    if (queue.length) oldLanes.set(lane, queue)
    waitingCount--
    running++
    waiter.start()
  }
}

const laneOf = (lane: string) => newLanes.get(lane) ?? oldLanes.get(lane)

/** A waiter whose request was abandoned (its client went away) leaves the queue: no hash for nobody. */
function leave(lane: string, waiter: Waiter) {
  const queue = laneOf(lane)
  const at = queue?.indexOf(waiter) ?? -1
  if (!queue || at === -1) return
  queue.splice(at, 1)
  waitingCount--
  if (!queue.length) {
    newLanes.delete(lane)
    oldLanes.delete(lane)
  }
}

/** The lane with the most waiting, if any lane has one waiting. */
function longestLane(): Waiter[] | undefined {
  let longest: Waiter[] | undefined
  for (const queue of [...newLanes.values(), ...oldLanes.values()]) if (!longest || queue.length > longest.length) longest = queue
  return longest
}

/** A hash asked for now must wait (every slot runs, or others already wait). */
const mustWait = () => running >= limits.concurrency || waitingCount > 0

/**
 * No room for one more waiter of this lane: it is at its lane's bound, or the whole queue is full and no
 * lane is longer than this one's would be. When the queue is full and a longer lane exists, the newest
 * waiter of that lane makes room (see bounded). So a few busy addresses can fill the queue, but never keep
 * a new one out of it.
 */
function noRoomFor(lane: string): boolean {
  const own = laneOf(lane)?.length ?? 0
  if (own >= limits.queueMaxPerLane) return true
  return waitingCount >= limits.queueMax && (longestLane()?.length ?? 0) <= own + 1
}

/**
 * Refuses at once (503 + Retry-After) a request whose hash would be refused right now, so that a request
 * shed anyway does not first spend database work (rate-limit counters, the account lookup) that the
 * requests able to go on are waiting for. The queue can change before the hash is asked for: this is an
 * early shed, not a promise; the hash itself checks again.
 */
export function refuseWhenHashingFull(lane: string) {
  if (mustWait() && noRoomFor(lane)) throw busy()
}

async function bounded<T>(lane: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  if (mustWait()) {
    if (noRoomFor(lane)) throw busy()
    if (waitingCount >= limits.queueMax) {
      longestLane()!.pop()!.refuse(busy())
      waitingCount--
    }
    if (signal?.aborted) throw abandoned()
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        leave(lane, waiter)
        reject(abandoned())
      }
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
        refuse: (error) => {
          signal?.removeEventListener('abort', onAbort)
          reject(error)
        },
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      const queue = laneOf(lane)
      if (queue) queue.push(waiter)
      else newLanes.set(lane, [waiter])
      waitingCount++
    })
  }
  else running++
  const started = performance.now()
  try {
    return await work()
  }
  finally {
    averageHashMs = averageHashMs * 0.9 + (performance.now() - started) * 0.1
    running--
    dispatch()
  }
}

/**
 * `lane`: who asked (a client address), so the queue serves every asker in turn; `signal`: the request's,
 * so a hash still waiting when its client goes away leaves the queue.
 */
export function hashPassword(password: string, lane = 'default', signal?: AbortSignal): Promise<string> {
  return bounded(lane, () => hash(password, ARGON2ID), signal)
}

/** A hash of nothing in particular, verified against when the user does not exist so timing does not tell. */
let decoyHash: Promise<string> | undefined

export async function verifyPassword(passwordHash: string | null | undefined, password: string, lane = 'default', signal?: AbortSignal): Promise<boolean> {
  if (!passwordHash) {
    decoyHash ??= hash('decoy password that matches nothing', ARGON2ID)
    const decoy = await decoyHash
    await bounded(lane, () => verify(decoy, password).catch(() => false), signal)
    return false
  }
  return bounded(lane, () => verify(passwordHash, password).catch(() => false), signal)
}
