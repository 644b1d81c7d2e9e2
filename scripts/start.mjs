// `npm start`: build when the sources changed since the last build, then serve the built app — in one
// process, or in WORKERS processes sharing the port (node:cluster; see scripts/cluster.mjs).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { ensureBuilt, root } from './ensure-build.mjs'
import { workerCount } from './cluster.mjs'

let workers
try {
  workers = workerCount(process.env.WORKERS)
}
catch (error) {
  console.error(error.message)
  process.exit(1)
}
ensureBuilt()
const entry = workers > 1 ? join(root, 'scripts', 'cluster.mjs') : join(root, '.output', 'server', 'index.mjs')
const server = spawn(process.execPath, [entry], {
  stdio: 'inherit',
  env: { PORT: '3000', ...process.env, NODE_ENV: 'production' },
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal))
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
