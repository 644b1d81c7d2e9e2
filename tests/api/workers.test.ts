import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from '#server/database'
import { listSurveys } from '#server/services/surveys'
import { root } from '../../scripts/ensure-build.mjs'

const folder = mkdtempSync(join(tmpdir(), 'rg-workers-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const freePort = () => new Promise<number>((resolve, reject) => {
  const probe = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as { port: number }
    probe.close(() => resolve(port))
  })
})
const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map(Number).filter(Boolean)
  }
  catch {
    return []
  }
}

describe('npm start with WORKERS', () => {
  it('WORKERS=3 serves from three processes on one port; the first start seeds once and prints the partner secret once', async () => {
    const port = await freePort()
    const databasePath = join(folder, 'gateway.db')
    const start = spawn(process.execPath, [join(root, 'scripts', 'start.mjs')], {
      cwd: root,
      env: { ...process.env, WORKERS: '3', PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databasePath, NUXT_SEED_DEMO: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    start.stdout.on('data', chunk => output += chunk)
    start.stderr.on('data', chunk => output += chunk)
    const exited = new Promise<number | null>(resolve => start.once('exit', code => resolve(code)))
    try {
      const base = `http://127.0.0.1:${port}`
      const deadline = Date.now() + 60_000
      let answered = 0
      while (answered < 30) {
        expect(Date.now() < deadline, output).toBe(true)
        const ok = await fetch(`${base}/api/surveys/partner`).then(response => response.status === 200, () => false)
        if (ok) answered++
        else await new Promise(resolve => setTimeout(resolve, 200))
      }
      const [primary] = childrenOf(start.pid!)
      expect(primary).toBeDefined()
      // Under load a worker may still be starting after the others have answered: wait for all three.
      let workers = childrenOf(primary!)
      while (workers.length < 3 && Date.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 200))
        workers = childrenOf(primary!)
      }
      expect(workers).toHaveLength(3)
      expect(output).not.toMatch(/exited/)

      const results = await Promise.all(Array.from({ length: 60 }, () => fetch(`${base}/api/surveys`).then(response => response.status)))
      expect(results.every(status => status === 200)).toBe(true)
      const { db, sqlite } = openDatabase(databasePath)
      expect((await listSurveys(db)).map(survey => survey.slug).sort()).toEqual(['demo', 'partner'])
      sqlite.close()
      expect(output.match(/JWT secret/g)).toHaveLength(1)
    }
    finally {
      start.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  }, 120_000)

  it('refuses a WORKERS value that is not a whole number from 1 to 64', async () => {
    let failure: { status: number, stderr: string } | undefined
    try {
      execFileSync(process.execPath, [join(root, 'scripts', 'start.mjs')], { cwd: root, env: { ...process.env, WORKERS: 'many' }, encoding: 'utf8', stdio: 'pipe' })
    }
    catch (error) {
      failure = error as { status: number, stderr: string }
    }
    expect(failure?.status).toBe(1)
    expect(failure?.stderr).toMatch(/WORKERS must be a whole number from 1 to 64/)
  })
})
