import { spawn } from 'node:child_process'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { root } from '../../scripts/ensure-build.mjs'
import { runCli } from '../support/cli'

const PASSWORD = 'S3cret-db-pw'

const freePort = () => new Promise<number>((resolve, reject) => {
  const probe = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as { port: number }
    probe.close(() => resolve(port))
  })
})

/** Starts the built server and waits for whichever comes first: it exits, or it answers HTTP (then it is stopped). */
async function startServer(databaseUrl: string): Promise<{ exitCode: number | null, answered: boolean, output: string }> {
  const port = await freePort()
  let output = ''
  const child = spawn(process.execPath, [join(root, '.output', 'server', 'index.mjs')], {
    env: { ...process.env, NUXT_SEED_DEMO: 'false', DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout.on('data', chunk => output += chunk)
  child.stderr.on('data', chunk => output += chunk)
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  for (;;) {
    if (child.exitCode !== null) {
      await exited
      return { exitCode: child.exitCode, answered: false, output }
    }
    const answered = await fetch(`http://127.0.0.1:${port}/api/surveys`).then(() => true, () => false)
    if (answered) {
      child.kill('SIGTERM')
      await exited
      return { exitCode: null, answered: true, output }
    }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** What a URL mistaken for a relative path would have created in the project folder. */
const strayEntries = () => readdirSync(root).filter(name => name.includes(':'))

afterEach(async () => {
  for (const name of strayEntries()) rmSync(join(root, name), { recursive: true, force: true })
})

describe('a DATABASE_URL this version cannot use', () => {
  it('postgres:// is PostgreSQL: a database that does not answer stops the server at start-up with one clear line, and creates no file', async () => {
    const started = await startServer(`postgres://gateway:${PASSWORD}@127.0.0.1:1/gateway`)
    expect(started.answered).toBe(false)
    expect(started.exitCode).toBe(1)
    expect(started.output).toMatch(/Cannot start: the database cannot be opened/)
    expect(started.output).not.toContain(PASSWORD)
    expect(started.output).not.toMatch(/\n\s+at /)
    expect(strayEntries()).toEqual([])
    expect(existsSync(join(root, 'postgres:'))).toBe(false)
  })

  it('another scheme stops the server at start-up, naming the scheme', async () => {
    const started = await startServer(`mysql://root:${PASSWORD}@localhost/gateway`)
    expect(started.answered).toBe(false)
    expect(started.exitCode).toBe(1)
    expect(started.output).toContain('DATABASE_URL uses the scheme "mysql:", which is not supported')
    expect(started.output).not.toContain(PASSWORD)
    expect(strayEntries()).toEqual([])
  })

  it('the CLI refuses an unknown scheme with the same message, and a PostgreSQL database that does not answer with one line; it creates no file', async () => {
    const refused = runCli(['surveys:list'], `mysql://root:${PASSWORD}@localhost/gateway`)
    expect(refused.status).toBe(1)
    expect(refused.stderr).toContain('DATABASE_URL uses the scheme "mysql:", which is not supported')
    const unreachable = runCli(['surveys:list'], `postgresql://gateway:${PASSWORD}@127.0.0.1:1/gateway`)
    expect(unreachable.status).toBe(1)
    expect(unreachable.stderr).toMatch(/the database cannot be opened/)
    for (const result of [refused, unreachable]) {
      expect(`${result.stdout}${result.stderr}`).not.toContain(PASSWORD)
      expect(result.stderr).not.toMatch(/\n\s+at /)
    }
    expect(strayEntries()).toEqual([])
  })
})
