import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { root } from '../../scripts/ensure-build.mjs'

export interface ExtraServer { url: string, logs: () => string, stop: () => Promise<void>, kill: () => Promise<void> }

const freePort = () => new Promise<number>((resolve, reject) => {
  const probe = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as { port: number }
    probe.close(() => resolve(port))
  })
})

/**
 * Another process of the built server, for tests of several servers sharing one database: started with
 * the given environment (DATABASE_URL naming the shared file), ready once it answers HTTP.
 */
export async function startExtraServer(env: Record<string, string>): Promise<ExtraServer> {
  const port = await freePort()
  let output = ''
  const child: ChildProcess = spawn(process.execPath, [join(root, '.output', 'server', 'index.mjs')], {
    env: { ...process.env, NUXT_SEED_DEMO: 'false', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', chunk => output += chunk)
  child.stderr!.on('data', chunk => output += chunk)
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the extra server exited (${child.exitCode}):\n${output}`)
    try {
      await fetch(`${url}/api/surveys`)
      break
    }
    catch {
      if (Date.now() > deadline) throw new Error(`the extra server did not answer within 30 s:\n${output}`)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
  return {
    url,
    logs: () => output,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    }),
    /** Ends the process at once (SIGKILL), as a crash or a power cut would: no clean-up runs. */
    kill: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGKILL')
    }),
  }
}
