import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { closeDb, useDb } from '../server/database'
import { adminSurveyView, effectiveState, findSurveyBySlug, isOpenAccess, listSurveys, upsertSurveys } from '../server/services/surveys'
import { listDeliveries, resendDelivery } from '../server/services/webhooks'
import { ADMIN_SCOPES, createAccessToken, listAccessTokens, revokeAccessToken } from '../server/services/access-tokens'
import { authLinksCsv } from '../server/services/respondent-admin'
import { recentAudit } from '../server/services/audit'
import { AppError, validationError } from '../server/utils/errors'
import { deliveryListQuerySchema } from '../shared/schemas/admin'

const usage = `Respondent Gateway admin CLI — npm run cli -- <command>

  surveys:upsert <file.json>   create or update surveys (one object or an array) by slug
  surveys:list                 list surveys (secrets shown only as set / not set)
  deliveries:list [--survey <slug>] [--status pending|delivered|failed] [--json]
                               webhook deliveries with their attempts
  deliveries:resend <id>       send a webhook delivery again (same webhook-id)
  tokens:create --name <n> --scopes <a,b,…> [--expires-in-days <n>]
                               a personal access token for the admin API (printed once)
  tokens:list                  tokens (never their secrets)
  tokens:revoke <id>           revoke a token
  respondents:export <slug> [--origin <url>] [--out <file.csv>]
                               CSV of the survey's respondents with their sign-in links
                               (to stdout, or to a file: npm prints its own banner on stdout)
  audit:list [--limit <n>]     recent changes made through the admin API (who, what, when)

Scopes: ${ADMIN_SCOPES.join(', ')}

The database is DATABASE_URL (default ./data/gateway.db).`

type Command = (args: string[]) => void | Promise<void>

const commands: Record<string, Command> = {
  'surveys:upsert': ([file]) => {
    if (!file) throw new AppError(400, 'Name the survey file: surveys:upsert <file.json>')
    let input: unknown
    try {
      input = JSON.parse(readFileSync(resolve(process.cwd(), file), 'utf8'))
    }
    catch (error) {
      throw new AppError(400, `Cannot read ${file} as JSON: ${(error as Error).message}`)
    }
    const results = upsertSurveys(useDb(), input)
    const out = results.map(({ survey, created, generatedWebhookSecret }) => ({
      result: created ? 'created' : 'updated',
      survey: adminSurveyView(survey),
      ...(generatedWebhookSecret ? { generatedWebhookSecret, note: 'The webhook secret is shown this once: give it to the partner to verify webhook signatures.' } : {}),
    }))
    console.log(JSON.stringify(Array.isArray(input) ? out : out[0], null, 2))
  },
  'surveys:list': () => {
    const rows = listSurveys(useDb()).map(survey => ({
      id: survey.id,
      slug: survey.slug,
      name: survey.name,
      state: effectiveState(survey),
      openAccess: isOpenAccess(survey),
      genUserKey: survey.genUserKey ? 'set' : 'not set',
      webhookSecret: survey.webhookSecret ? 'set' : 'not set',
    }))
    if (rows.length === 0) console.log('No surveys.')
    else console.table(rows)
  },
  'deliveries:list': (args) => {
    const { flags } = parseArgs(args)
    // The same options, checked the same way, as GET /api/admin/deliveries.
    const query = deliveryListQuerySchema.safeParse({ survey: flags.survey, status: flags.status, limit: 500 })
    if (!query.success) throw validationError(query.error, 'Invalid option')
    const surveyId = query.data.survey === undefined ? undefined : surveyNamed(query.data.survey).id
    const deliveries = listDeliveries(useDb(), { surveyId, status: query.data.status, limit: query.data.limit })
    if (flags.json) return void console.log(JSON.stringify(deliveries, null, 2))
    if (!deliveries.length) return void console.log('No webhook deliveries.')
    console.table(deliveries.map(({ attemptLog, ...delivery }) => ({
      id: delivery.id,
      survey: delivery.survey,
      type: delivery.type,
      url: delivery.url,
      status: delivery.status,
      attempts: delivery.attempts,
      lastStatus: attemptLog.at(-1)?.statusCode ?? null,
      lastError: delivery.lastError,
      next: delivery.nextAttemptAt,
    })))
  },
  'tokens:create': (args) => {
    const { flags } = parseArgs(args)
    const scopes = typeof flags.scopes === 'string' ? flags.scopes.split(',').map(scope => scope.trim()).filter(Boolean) : []
    const expiresInDays = flags['expires-in-days'] === undefined ? undefined : Number(flags['expires-in-days'])
    const created = createAccessToken(useDb(), { name: flags.name === true ? '' : flags.name, scopes, expiresInDays })
    console.log(JSON.stringify({ ...created, note: 'The token is shown this once. Store it as a secret.' }, null, 2))
  },
  'tokens:list': () => {
    const tokens = listAccessTokens(useDb())
    if (!tokens.length) return void console.log('No access tokens.')
    console.table(tokens.map(token => ({ ...token, scopes: token.scopes.join(' ') })))
  },
  'tokens:revoke': ([id]) => {
    if (!id || !/^\d+$/.test(id)) throw new AppError(400, 'Name the token: tokens:revoke <id>')
    revokeAccessToken(useDb(), Number(id))
    console.log(`Token ${id} revoked.`)
  },
  'respondents:export': (args) => {
    const { flags, positional } = parseArgs(args)
    const slug = positional[0]
    if (!slug) throw new AppError(400, 'Name the survey: respondents:export <slug>')
    const survey = surveyNamed(slug)
    const origin = typeof flags.origin === 'string' ? flags.origin : process.env.NUXT_PUBLIC_ORIGIN || `http://localhost:${process.env.PORT || 3000}`
    const csv = authLinksCsv(useDb(), survey, origin)
    if (typeof flags.out !== 'string') return void process.stdout.write(csv)
    writeFileSync(resolve(process.cwd(), flags.out), csv, { mode: 0o600 })
    console.log(`Wrote the sign-in links of ${csv.trim().split('\n').length - 1} respondent(s) to ${flags.out}.`)
  },
  'audit:list': (args) => {
    const { flags } = parseArgs(args)
    const limit = flags.limit === undefined ? 50 : Number(flags.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw new AppError(400, 'Invalid option', { limit: { msg: 'must be a whole number from 1 to 10000' } })
    const rows = recentAudit(useDb(), limit)
    if (!rows.length) return void console.log('No audited changes.')
    console.table(rows.map(row => ({ at: row.at.toISOString(), actor: row.actor, action: row.action, target: row.target, details: row.details ? JSON.stringify(row.details) : '' })))
  },
  'deliveries:resend': ([id]) => {
    if (!id) throw new AppError(400, 'Name the delivery: deliveries:resend <id>')
    resendDelivery(useDb(), id)
    console.log(`Delivery ${id} will be sent again by the server's webhook worker.`)
  },
}

function surveyNamed(slug: string) {
  const survey = findSurveyBySlug(useDb(), slug)
  if (!survey) throw new AppError(404, `No survey "${slug}".`)
  return survey
}

/** `--name value` pairs and the remaining positional arguments. */
function parseArgs(args: string[]) {
  const flags: Record<string, string | true> = {}
  const positional: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith('--')) positional.push(arg)
    else if (args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) flags[arg.slice(2)] = args[++i]!
    else flags[arg.slice(2)] = true
  }
  return { flags, positional }
}

async function main(argv: string[]) {
  const [name, ...args] = argv
  if (!name || name === 'help' || name === '--help') {
    console.log(usage)
    return name ? 0 : 1
  }
  const command = commands[name]
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${usage}`)
    return 1
  }
  try {
    await command(args)
    return 0
  }
  catch (error) {
    if (!(error instanceof AppError)) throw error
    console.error(`Error: ${error.message}`)
    for (const [field, { msg }] of Object.entries(error.errors ?? {})) console.error(`  ${field}: ${msg}`)
    return 1
  }
  finally {
    closeDb()
  }
}

process.exitCode = await main(process.argv.slice(2))
