import { desc, eq } from 'drizzle-orm'
import { z } from 'zod'
import { read, tables, type Db } from '#server/database'
import { exec, first, rows } from '#server/database/steps'
import type { SurveyRow } from '#server/database/schema'
import { badRequest, fieldErrors, fieldErrorsFromZod, forbidden, notFound, unauthorized } from '#server/utils/errors'
import { bearerToken, randomToken, safeEqual, sha256 } from '#server/utils/tokens'
import { findSurveyBySlug } from './surveys'

export const ADMIN_SCOPES = ['surveys:read', 'surveys:write', 'respondents:read', 'respondents:write', 'deliveries:read', 'deliveries:write'] as const
export type AdminScope = typeof ADMIN_SCOPES[number]
/** Recognisable in logs, secret scanners and config files: `rgpat_<id>_<secret>`. */
const TOKEN_PATTERN = /^rgpat_(\d{1,12})_([\w-]{43})$/

const createSchema = z.object({
  name: z.string().trim().min(1).max(128),
  scopes: z.array(z.enum(ADMIN_SCOPES)).min(1),
  /** Limit the token to these surveys (slugs, any case); absent: every survey. */
  surveys: z.array(z.string().max(128)).min(1).max(500).optional(),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
})

export interface CreatedToken {
  id: number
  name: string
  scopes: string[]
  surveys: string[] | null
  expiresAt: string | null
  token: string
}

/** Survey slugs as stored (lower case), each checked to exist; errors keyed `surveys.<n>`. */
export async function storedSurveyList(db: Db, slugs: string[] | undefined, errors: ReturnType<typeof fieldErrors>) {
  if (!slugs) return null
  const stored = await Promise.all(slugs.map(async (slug, index) => {
    const survey = await findSurveyBySlug(db, slug)
    if (!survey) errors[`surveys.${index}`] = { msg: `no survey "${slug}"` }
    return survey?.slug.toLowerCase() ?? ''
  }))
  return [...new Set(stored)]
}

/**
 * A new token: the full value is returned this once; only the SHA-256 digest of its secret is stored.
 * Every survey the token is limited to must exist.
 */
export async function createAccessToken(db: Db, input: unknown, now = new Date()): Promise<CreatedToken> {
  const parsed = createSchema.safeParse(input)
  const errors = parsed.success ? fieldErrors() : fieldErrorsFromZod(parsed.error)
  const surveys = parsed.success ? await storedSurveyList(db, parsed.data.surveys, errors) : null
  if (!parsed.success || Object.keys(errors).length) throw badRequest('The token settings are not valid.', errors)
  const secret = randomToken(32)
  const expiresAt = parsed.data.expiresInDays ? new Date(now.getTime() + parsed.data.expiresInDays * 24 * 3600 * 1000) : null
  const row = (await read(db, db => first(db.insert(tables(db).personalAccessTokens).values({
    name: parsed.data.name,
    secretHash: sha256(secret),
    scopes: [...new Set(parsed.data.scopes)],
    surveys,
    expiresAt,
    createdAt: now,
  }).returning())))!
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    surveys: row.surveys,
    expiresAt: expiresAt?.toISOString() ?? null,
    token: `rgpat_${row.id}_${secret}`,
  }
}

export async function listAccessTokens(db: Db) {
  const found = await read(db, function* (db) {
    const { personalAccessTokens } = tables(db)
    return yield* rows(db.select().from(personalAccessTokens).orderBy(desc(personalAccessTokens.id)))
  })
  return found.map(row => ({
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    surveys: row.surveys,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  }))
}

export async function revokeAccessToken(db: Db, id: number, now = new Date()): Promise<void> {
  const row = await read(db, function* (db) {
    const { personalAccessTokens } = tables(db)
    return yield* first(db.update(personalAccessTokens).set({ revokedAt: now })
      .where(eq(personalAccessTokens.id, id))
      .returning({ id: personalAccessTokens.id }))
  })
  if (!row) throw notFound(`No access token ${id}.`)
}

export interface TokenPrincipal {
  tokenId: number
  name: string
  scopes: string[]
  /** The surveys (slugs, lower case) this principal may see; null: every survey. */
  surveys: string[] | null
}

/** Whether the principal may see the survey at all: outside its list a survey is answered as not found. */
export const mayAccessSurvey = (principal: Pick<TokenPrincipal, 'surveys'>, survey: Pick<SurveyRow, 'slug'>) =>
  principal.surveys === null || principal.surveys.includes(survey.slug.toLowerCase())

/**
 * The token behind `Authorization: Bearer rgpat_…`: 401 when missing, malformed, unknown, revoked or
 * expired (one message: nothing about which), 403 naming the scope it lacks. Records the last use.
 */
export async function authenticateAccessToken(
  db: Db,
  header: string | undefined,
  scope: AdminScope,
  now = new Date(),
): Promise<TokenPrincipal> {
  const invalid = () => unauthorized('A valid personal access token is required: "Authorization: Bearer rgpat_…".')
  const parts = TOKEN_PATTERN.exec(bearerToken(header) ?? '')
  if (!parts) throw invalid()
  const row = await read(db, function* (db) {
    const { personalAccessTokens } = tables(db)
    return yield* first(db.select().from(personalAccessTokens).where(eq(personalAccessTokens.id, Number(parts[1]))))
  })
  const secretMatches = safeEqual(sha256(parts[2]!), row?.secretHash ?? sha256('no such token'))
  if (!row || !secretMatches || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) throw invalid()
  if (!row.scopes.includes(scope)) throw forbidden(`This token lacks the "${scope}" scope.`, { scope: { msg: `requires ${scope}` } })
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000)
    await read(db, function* (db) {
      const { personalAccessTokens } = tables(db)
      yield* exec(db.update(personalAccessTokens).set({ lastUsedAt: now }).where(eq(personalAccessTokens.id, row.id)))
    })
  return { tokenId: row.id, name: row.name, scopes: row.scopes, surveys: row.surveys }
}
