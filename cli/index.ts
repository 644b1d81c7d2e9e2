import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { closeDb, useDb } from '../server/database'
import { adminSurveyView, effectiveState, isOpenAccess, listSurveys, upsertSurveys } from '../server/services/surveys'
import { AppError } from '../server/utils/errors'

const usage = `Respondent Gateway admin CLI — npm run cli -- <command>

  surveys:upsert <file.json>   create or update surveys (one object or an array) by slug
  surveys:list                 list surveys (secrets shown only as set / not set)

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
