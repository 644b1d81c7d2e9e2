import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { root } from '../../scripts/ensure-build.mjs'

export interface CliResult { status: number | null, stdout: string, stderr: string }

/** Runs `npm run cli -- …` the way an administrator does (tsx over the sources) on the given database. */
export function runCli(args: string[], databasePath: string, env: Record<string, string> = {}, input?: string): CliResult {
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), '--tsconfig', join(root, 'tsconfig.tools.json'), join(root, 'cli', 'index.ts'), ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databasePath, ...env },
    encoding: 'utf8',
    timeout: 60_000,
    input,
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}
