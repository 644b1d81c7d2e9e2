import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { closeDb, databaseReady, engineOf, useDb } from '#server/database'
import {
  adminSurveyView, effectiveState, isOpenAccess, listSurveys, requireSurvey, SURVEY_SECRET_FIELDS, upsertSurveys,
} from '#server/services/surveys'
import { listDeliveries, resendDelivery } from '#server/services/webhooks'
import { ADMIN_SCOPES, createAccessToken, listAccessTokens, revokeAccessToken } from '#server/services/access-tokens'
import { authLinksCsv, rotateAuthToken } from '#server/services/respondent-admin'
import { audit, auditPage, CLI_ACTOR } from '#server/services/audit'
import { auditQuerySchema } from '#shared/schemas/admin-console'
import {
  createAdminAccount, issuePasswordLink, listAdminAccounts, PASSWORD_LINK_HOURS, setAdminDisabled, setPasswordLink,
} from '#server/services/admin-accounts'
import { usernameCollisions } from '#server/database/data-migrations'
import { CopyRefused, copySqliteToPostgres } from '#server/database/copy-to-postgres'
import { databasePath, DatabaseUrlError, migrationsFolder } from '#server/database/paths'
import { AppError, validationError } from '#server/utils/errors'
import { deliveryListQuerySchema } from '#shared/schemas/admin'

const usage = `Respondent Gateway admin CLI — npm run cli -- <command>

  surveys:upsert <file.json>   create or update surveys (one object or an array) by slug
  surveys:list                 list surveys (secrets shown only as set / not set)
  deliveries:list [--survey <slug>] [--status pending|delivered|failed] [--event <type>] [--json]
                               webhook deliveries with their attempts
  deliveries:resend <id>       send a webhook delivery again (same webhook-id)
  tokens:create --name <n> --scopes <a,b,…> [--surveys <slug,…>] [--expires-in-days <n>]
                               a personal access token for the admin API (printed once);
                               with --surveys it sees only those surveys (others answer 404)
  tokens:list                  tokens (never their secrets)
  tokens:revoke <id>           revoke a token
  respondents:export <slug> [--origin <url>] [--out <file.csv>]
                               CSV of the survey's respondents with their sign-in links
                               (to stdout, or to a file: npm prints its own banner on stdout)
  respondents:username-collisions [--json]
                               respondents of one survey whose usernames differ only in Unicode
                               normalisation (NFC/NFD), which start-up could not merge into one spelling
  audit:list [--survey <slug>] [--actor <text>] [--limit <n>] [--page <n>]
                               recent changes and credential downloads, through the admin API or
                               this CLI (who, what, when)
  respondents:rotate-token <slug> <userId>
                               a new auth token for the respondent (printed once); links sent
                               before stop working
  admins:create --email <e> --name <n> --role owner|staff [--surveys <slug,…>] [--password-stdin]
                               a console account; prints a one-time set-password link (or takes
                               the password from standard input); staff may be limited to surveys
  admins:list                  console accounts (never their secrets)
  admins:disable <email>       an account can no longer sign in; its sign-ins end
  admins:enable <email>
  admins:password-link <email> [--origin <url>]
                               a new one-time set-password link (the old one stops working)
  db:copy --to <postgres://…> [--from <sqlite file>]
                               copy this SQLite database (default DATABASE_URL) into an empty
                               PostgreSQL database; the source is only read

Scopes: ${ADMIN_SCOPES.join(', ')}

The database is DATABASE_URL (default ./data/gateway.db).`

type Command = (args: string[]) => void | Promise<void>

const commands: Record<string, Command> = {
  'surveys:upsert': async ([file]) => {
    if (!file) throw new AppError(400, 'Name the survey file: surveys:upsert <file.json>')
    let input: unknown
    try {
      input = JSON.parse(readFileSync(resolve(process.cwd(), file), 'utf8'))
    }
    catch (error) {
      throw new AppError(400, `Cannot read ${file} as JSON: ${(error as Error).message}`)
    }
    const bodies: unknown[] = Array.isArray(input) ? input : [input]
    const results = await upsertSurveys(useDb(), input, {
      // The CLI runs outside the server: it reads the server's NUXT_WEBHOOKS_ALLOW_PRIVATE from the environment.
      allowPrivateWebhooks: process.env.NUXT_WEBHOOKS_ALLOW_PRIVATE === 'true',
      audit: {
        actor: CLI_ACTOR,
        details: (_result, index) => {
          const fields = Object.keys(bodies[index] as Record<string, unknown>)
          return {
            fields: fields.filter(key => !SURVEY_SECRET_FIELDS.includes(key)),
            secretsChanged: SURVEY_SECRET_FIELDS.filter(key => fields.includes(key)),
          }
        },
      },
    })
    const out = results.map(({ survey, created, generatedWebhookSecret }) => ({
      result: created ? 'created' : 'updated',
      survey: adminSurveyView(survey),
      ...(generatedWebhookSecret ? { generatedWebhookSecret, note: 'The webhook secret is shown this once: give it to the partner to verify webhook signatures.' } : {}),
    }))
    console.log(JSON.stringify(Array.isArray(input) ? out : out[0], null, 2))
  },
  'surveys:list': async () => {
    const rows = (await listSurveys(useDb())).map(survey => ({
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
  'deliveries:list': async (args) => {
    const { flags } = parseArgs(args)
    // The same options, checked the same way, as GET /api/admin/deliveries.
    const query = deliveryListQuerySchema.safeParse({ survey: flags.survey, status: flags.status, event: flags.event, limit: 500 })
    if (!query.success) throw validationError(query.error, 'Invalid option')
    const surveyIds = query.data.survey === undefined ? undefined : [(await surveyNamed(query.data.survey)).id]
    const { status, event, limit } = query.data
    const deliveries = await listDeliveries(useDb(), { surveyIds, status, event, limit })
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
  'tokens:create': async (args) => {
    const { flags } = parseArgs(args)
    const list = (flag: string | true | undefined) => typeof flag === 'string' ? flag.split(',').map(item => item.trim()).filter(Boolean) : []
    const surveys = flags.surveys === undefined ? undefined : list(flags.surveys)
    const expiresInDays = flags['expires-in-days'] === undefined ? undefined : Number(flags['expires-in-days'])
    const db = useDb()
    const created = await createAccessToken(db, { name: flags.name === true ? '' : flags.name, scopes: list(flags.scopes), surveys, expiresInDays }, CLI_ACTOR)
    console.log(JSON.stringify({ ...created, note: 'The token is shown this once. Store it as a secret.' }, null, 2))
  },
  'tokens:list': async () => {
    const tokens = await listAccessTokens(useDb())
    if (!tokens.length) return void console.log('No access tokens.')
    console.table(tokens.map(token => ({ ...token, scopes: token.scopes.join(' '), surveys: token.surveys?.join(' ') ?? '(all)' })))
  },
  'tokens:revoke': async ([id]) => {
    if (!id || !/^\d+$/.test(id)) throw new AppError(400, 'Name the token: tokens:revoke <id>')
    const db = useDb()
    await revokeAccessToken(db, Number(id), CLI_ACTOR)
    console.log(`Token ${id} revoked.`)
  },
  'respondents:export': async (args) => {
    const { flags, positional } = parseArgs(args)
    const slug = positional[0]
    if (!slug) throw new AppError(400, 'Name the survey: respondents:export <slug>')
    const survey = await surveyNamed(slug)
    const origin = appOrigin(flags)
    const db = useDb()
    const csv = await authLinksCsv(db, survey, origin)
    await audit(db, CLI_ACTOR, 'respondent.export-auth-links', survey.slug, { respondents: csv.trim().split('\r\n').length - 1 }, survey.slug)
    if (typeof flags.out !== 'string') return void process.stdout.write(csv)
    writeFileSync(resolve(process.cwd(), flags.out), csv, { mode: 0o600 })
    console.log(`Wrote the sign-in links of ${csv.trim().split('\n').length - 1} respondent(s) to ${flags.out}.`)
  },
  'respondents:username-collisions': async (args) => {
    const { flags } = parseArgs(args)
    const db = useDb()
    if (engineOf(db).dialect !== 'sqlite') throw new AppError(400, 'respondents:username-collisions reads a SQLite database (PostgreSQL databases are filled by db:copy from one already checked).')
    const collisions = usernameCollisions(db.$client)
    if (flags.json) {
      const listed = collisions.map(({ surveySlug, username, respondents }) => ({
        survey: surveySlug,
        username,
        respondents: respondents.map(({ userId, username }) => ({ userId, username })),
      }))
      return void console.log(JSON.stringify(listed, null, 2))
    }
    if (!collisions.length) return void console.log('No usernames collide: every username is stored in NFC or has no look-alike in its survey.')
    // The spellings look alike on a terminal: each is shown with its characters outside ASCII escaped too.
    const escaped = (text: string) => text.replace(/[^ -~]/gu, char => `\\u{${char.codePointAt(0)!.toString(16).toUpperCase()}}`)
    for (const { surveySlug, username, respondents } of collisions) {
      console.log(`Survey ${surveySlug}: ${respondents.length} respondents read ${JSON.stringify(username)}`)
      for (const row of respondents) console.log(`  userId ${row.userId}: ${JSON.stringify(row.username)} = ${escaped(row.username)}${row.username === username ? ' (NFC)' : ''}`)
    }
    console.log(`${collisions.length} username(s) shared by several respondents once normalised. Usernames are looked up in NFC, so only a spelling marked (NFC) is found by username; the others still sign in with their auth-token links. Start-up leaves them as they are.`)
  },
  'audit:list': async (args) => {
    const { flags } = parseArgs(args)
    // The same options, checked the same way, as GET /api/admin/audit.
    const query = auditQuerySchema.safeParse({ survey: flags.survey, actor: flags.actor, limit: flags.limit, page: flags.page })
    if (!query.success) throw validationError(query.error, 'Invalid option')
    const { entries } = await auditPage(useDb(), query.data, null)
    if (!entries.length) return void console.log('No audited changes.')
    console.table(entries.map(({ id: _id, details, ...entry }) => ({ ...entry, details: details ? JSON.stringify(details) : '' })))
  },
  'deliveries:resend': async ([id]) => {
    if (!id) throw new AppError(400, 'Name the delivery: deliveries:resend <id>')
    await resendDelivery(useDb(), id, CLI_ACTOR)
    console.log(`Delivery ${id} will be sent again by the server's webhook worker.`)
  },
  'respondents:rotate-token': async ([slug, userId]) => {
    if (!slug || !userId) throw new AppError(400, 'Name the respondent: respondents:rotate-token <slug> <userId>')
    if (!/^\d{1,15}$/.test(userId)) throw new AppError(400, 'Invalid argument', { userId: { msg: 'must be a number' } })
    const db = useDb()
    const survey = await surveyNamed(slug)
    const rotated = await rotateAuthToken(db, survey, Number(userId), CLI_ACTOR)
    console.log(JSON.stringify({ ...rotated, note: 'The auth token is shown this once; links sent before no longer work.' }, null, 2))
  },
  'admins:create': async (args) => {
    const { flags } = parseArgs(args)
    const text = (flag: string | true | undefined) => typeof flag === 'string' ? flag : undefined
    const surveys = typeof flags.surveys === 'string' ? flags.surveys.split(',').map(slug => slug.trim()).filter(Boolean) : undefined
    // --password-stdin: for automation; the password never appears in the process list or the shell history.
    const password = flags['password-stdin'] ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : undefined
    const db = useDb()
    const input = { email: text(flags.email), name: text(flags.name), role: text(flags.role), surveys }
    const { account, passwordToken } = await createAdminAccount(db, input, { password, actor: CLI_ACTOR })
    console.log(JSON.stringify(account, null, 2))
    if (passwordToken) {
      console.log(`\nSet-password link (works once, for ${PASSWORD_LINK_HOURS} hours): ${setPasswordLink(appOrigin(flags), passwordToken)}`)
    }
  },
  'admins:list': async () => {
    const accounts = await listAdminAccounts(useDb())
    if (!accounts.length) return void console.log('No console accounts: create the first owner with admins:create --role owner.')
    console.table(accounts.map(account => ({ ...account, surveys: account.surveys?.join(' ') ?? '(all)' })))
  },
  'admins:disable': async ([email]) => {
    if (!email) throw new AppError(400, 'Name the account: admins:disable <email>')
    const db = useDb()
    const account = await setAdminDisabled(db, email, true, CLI_ACTOR)
    console.log(`Disabled ${account.email}; its console sign-ins have ended.`)
  },
  'admins:enable': async ([email]) => {
    if (!email) throw new AppError(400, 'Name the account: admins:enable <email>')
    const db = useDb()
    const account = await setAdminDisabled(db, email, false, CLI_ACTOR)
    console.log(`Enabled ${account.email}.`)
  },
  'admins:password-link': async (args) => {
    const { flags, positional: [email] } = parseArgs(args)
    if (!email) throw new AppError(400, 'Name the account: admins:password-link <email>')
    const db = useDb()
    const token = await issuePasswordLink(db, email, CLI_ACTOR)
    console.log(`Set-password link (works once, for ${PASSWORD_LINK_HOURS} hours): ${setPasswordLink(appOrigin(flags), token)}`)
  },
  'db:copy': async (args) => {
    const { flags } = parseArgs(args)
    if (typeof flags.to !== 'string' || !/^postgres(?:ql)?:\/\//.test(flags.to))
      throw new AppError(400, 'Name the target: db:copy --to postgres://user@host:5432/database')
    const sqlitePath = databasePath(typeof flags.from === 'string' ? flags.from : undefined)
    const folder = migrationsFolder('sqlite')
    try {
      const counts = await copySqliteToPostgres({ sqlitePath, postgresUrl: flags.to, sqliteMigrations: folder, postgresMigrations: migrationsFolder('postgres') })
      console.table(counts)
      console.log(`Copied ${sqlitePath} into PostgreSQL: every table's row count matches. The source was not changed.`)
    }
    catch (error) {
      if (error instanceof CopyRefused) throw new AppError(409, error.message)
      throw error
    }
  },
}

const surveyNamed = (slug: string) => requireSurvey(useDb(), slug)

/** Where the app is reached, for the links the CLI prints: --origin, else NUXT_PUBLIC_ORIGIN, else localhost. */
const appOrigin = (flags: Record<string, string | true>) =>
  (typeof flags.origin === 'string' ? flags.origin : process.env.NUXT_PUBLIC_ORIGIN || `http://localhost:${process.env.PORT || 3000}`).replace(/\/$/, '')

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
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${usage}`)
    return 1
  }
  try {
    if (name !== 'db:copy') {
      // The CLI keeps no caches: no connection listening for survey changes.
      useDb({ listen: false })
      await databaseReady().catch((error: Error) => {
        throw new AppError(503, `the database cannot be opened: ${error.message}`)
      })
    }
    await command(args)
    return 0
  }
  catch (error) {
    if (!(error instanceof AppError || error instanceof DatabaseUrlError)) throw error
    console.error(`Error: ${error.message}`)
    for (const [field, { msg }] of Object.entries((error instanceof AppError && error.errors) || {})) console.error(`  ${field}: ${msg}`)
    return 1
  }
  finally {
    await closeDb()
  }
}

process.exitCode = await main(process.argv.slice(2))
