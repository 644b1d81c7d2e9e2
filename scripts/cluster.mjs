// Several server processes on one port: `WORKERS=N npm start` runs this as the primary, which forks N
// copies of the built server (node:cluster shares the listening socket between them). Everything the
// processes share lives in the database: rate limits, sessions, the webhook outbox (each delivery is
// claimed by one process), first-start seeding (one transaction), and caches notice each other's commits.
import cluster from 'node:cluster'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MAX_WORKERS = 64

/** WORKERS as a whole number of processes: 1 when unset. */
export function workerCount(raw) {
  if (raw === undefined || raw === '') return 1
  const count = Number(raw)
  if (!Number.isInteger(count) || count < 1 || count > MAX_WORKERS)
    throw new Error(`WORKERS must be a whole number from 1 to ${MAX_WORKERS} (got "${raw}")`)
  return count
}

function runPrimary(count) {
  const root = fileURLToPath(new URL('..', import.meta.url))
  // CLUSTER_ENTRY: another built server to run (the benchmark's BENCH_OUTPUT_DIR); else this project's build.
  cluster.setupPrimary({ exec: process.env.CLUSTER_ENTRY || join(root, '.output', 'server', 'index.mjs') })
  let stopping = false
  const recentRestarts = []
  const fork = () => cluster.fork()
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0)
      return
    }
    console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`)
    const now = Date.now()
    recentRestarts.push(now)
    while (recentRestarts.length && recentRestarts[0] < now - 60_000) recentRestarts.shift()
    // A worker that dies at once again and again (a bad configuration) must not become a fork loop.
    if (recentRestarts.length > count * 5) {
      console.error('workers keep exiting: stopping')
      process.exit(1)
    }
    setTimeout(fork, 1000)
  })
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      stopping = true
      const workers = Object.values(cluster.workers ?? {})
      if (!workers.length) process.exit(0)
      for (const worker of workers) worker?.process.kill(signal)
    })
  }
  console.log(`Starting ${count} server processes on one port`)
  for (let i = 0; i < count; i++) fork()
}

if (cluster.isPrimary && process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) runPrimary(workerCount(process.env.WORKERS))
