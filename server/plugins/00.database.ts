import { useDb } from '#server/database'
import { DatabaseUrlError } from '#server/database/paths'
import { configuredAuthSecret, configuredOrigin, seedDemo } from '#server/http/settings'
import { exampleCreateUserLink, seedDemoSurveys } from '#server/services/seed'
import { resolveAuthSecret } from '#server/services/settings'

/** Start-up: open the database (applies pending migrations), make sure the auth secret exists, seed the demo. */
export default defineNitroPlugin(() => {
  let db: ReturnType<typeof useDb>
  try {
    db = useDb()
  }
  catch (error) {
    if (!(error instanceof DatabaseUrlError)) throw error
    // A configuration mistake, not a crash: one plain line, no stack trace, and no server.
    process.stderr.write(`Cannot start: ${error.message}\n`)
    process.exit(1)
  }
  resolveAuthSecret(db, configuredAuthSecret())
  if (!seedDemo()) return
  const seeded = seedDemoSurveys(db)
  if (!seeded) return
  const origin = configuredOrigin() ?? `http://localhost:${process.env.PORT || process.env.NITRO_PORT || 3000}`
  void exampleCreateUserLink(origin, seeded.partnerSlug, seeded.partnerSecret).then((link) => {
    // Written past the console, whose lines are redacted (plugins/04.redact-logs): shown on purpose, once.
    process.stdout.write(`${[
      'Created the demo surveys "demo" (open access) and "partner" (partner provisioning).',
      `The "partner" survey's JWT secret (shown this once; store it in the partner's backend): ${seeded.partnerSecret}`,
      `Example create-user link for it (valid 7 days): ${link}`,
    ].join('\n')}\n`)
  })
})
