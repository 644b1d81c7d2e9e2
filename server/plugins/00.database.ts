import { useDb } from '../database'
import { exampleCreateUserLink, seedDemoSurveys } from '../services/seed'
import { resolveAuthSecret } from '../services/settings'

/** Start-up: open the database (applies pending migrations), make sure the auth secret exists, seed the demo. */
export default defineNitroPlugin(() => {
  const config = useRuntimeConfig()
  const db = useDb()
  resolveAuthSecret(db, config.authSecret)
  if (!config.seedDemo) return
  const seeded = seedDemoSurveys(db)
  if (!seeded) return
  const origin = config.public.origin || `http://localhost:${process.env.PORT || process.env.NITRO_PORT || 3000}`
  void exampleCreateUserLink(origin, seeded.partnerSlug, seeded.partnerSecret).then((link) => {
    console.info([
      'Created the demo surveys "demo" (open access) and "partner" (partner provisioning).',
      `The "partner" survey's JWT secret (shown this once; store it in the partner's backend): ${seeded.partnerSecret}`,
      `Example create-user link for it (valid 7 days): ${link}`,
    ].join('\n'))
  })
})
