import { databaseReady, useDb } from '#server/database'
import { DatabaseUrlError } from '#server/database/paths'
import { configuredAuthSecret, configuredOrigin, seedDemo } from '#server/http/settings'
import { exampleCreateUserLink, seedDemoSurveys } from '#server/services/seed'
import { resolveAuthSecret } from '#server/services/settings'

/** A configuration mistake, not a crash: one plain line, no stack trace, and no server. */
function cannotStart(error: unknown): never {
  const message = error instanceof DatabaseUrlError ? error.message : `the database cannot be opened: ${(error as Error).message}`
  process.stderr.write(`Cannot start: ${message}\n`)
  process.exit(1)
}

/**
 * Start-up: open the database and apply pending migrations (SQLite at once; PostgreSQL before the
 * first request is answered), make sure the auth secret exists, seed the demo.
 */
export default defineNitroPlugin((nitroApp) => {
  let db: ReturnType<typeof useDb>
  try {
    db = useDb()
  }
  catch (error) {
    if (!(error instanceof DatabaseUrlError)) throw error
    cannotStart(error)
  }
  const started = (async () => {
    await databaseReady()
    await resolveAuthSecret(db, configuredAuthSecret())
    if (!seedDemo()) return
    const seeded = await seedDemoSurveys(db)
    if (!seeded) return
    const origin = configuredOrigin() ?? `http://localhost:${process.env.PORT || process.env.NITRO_PORT || 3000}`
    const link = await exampleCreateUserLink(origin, seeded.partnerSlug, seeded.partnerSecret)
    // Written past the console, whose lines are redacted (plugins/04.redact-logs): shown on purpose, once.
    process.stdout.write(`${[
      'Created the demo surveys "demo" (open access) and "partner" (partner provisioning).',
      `The "partner" survey's JWT secret (shown this once; store it in the partner's backend): ${seeded.partnerSecret}`,
      `Example create-user link for it (valid 7 days): ${link}`,
    ].join('\n')}\n`)
  })()
  started.catch(cannotStart)
  let ready = false
  void started.then(() => {
    ready = true
  })
  // No request is answered before the database is migrated and the secret exists.
  nitroApp.hooks.hook('request', async () => {
    if (!ready) await started
  })
})
