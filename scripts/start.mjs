// `npm start`: build when the sources changed since the last build, then serve the built app.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { ensureBuilt, root } from './ensure-build.mjs'

ensureBuilt()
const server = spawn(process.execPath, [join(root, '.output', 'server', 'index.mjs')], {
  stdio: 'inherit',
  env: { PORT: '3000', ...process.env, NODE_ENV: 'production' },
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal))
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
