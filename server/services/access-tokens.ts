import { and, desc, eq, isNull } from 'drizzle-orm'
import { read, tables, transaction, type Db } from '#server/database'
import { exec, first, rows } from '#server/database/steps'
import type { SurveyRow } from '#server/database/schema'
import { badRequest, fieldErrors, fieldErrorsFromZod, forbidden, notFound, unauthorized } from '#server/utils/errors'
import { bearerToken, randomToken, safeEqual, sha256 } from '#server/utils/tokens'
import { ADMIN_SCOPES, adminTokenCreateSchema } from '#shared/schemas/admin-console'
import { auditIn, CLI_ACTOR, type Actor } from './audit'
import { findSurveyBySlug } from './surveys'

export { ADMIN_SCOPES }
export type AdminScope = typeof ADMIN_SCOPES[number]
/** Recognisable in logs, secret scanners and config files: `rgpat_<id>_<secret>`. */
const TOKEN_PATTERN = /^rgpat_(\d{1,12})_([\w-]{43})$/

type TokenRow = typeof import('#server/database/schema').personalAccessTokens.$inferSelect

/** What the owners' list and the CLI show of a token: never its secret or digest. */
export const accessTokenView = (row: TokenRow) => ({
  id: row.id,
  name: row.name,
  scopes: row.scopes,
  surveys: row.surveys,
  createdAt: row.createdAt.toISOString(),
  expiresAt: row.expiresAt?.toISOString() ?? null,
  revokedAt: row.revokedAt?.toISOString() ?? null,
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
})
export type AccessTokenView = ReturnType<typeof accessTokenView>
export interface CreatedToken extends AccessTokenView { token: string }

/** Survey slugs as stored (lower case), each checked to exist; errors keyed `surveys.<n>`. */
export async function storedSurveyList(db: Db, slugs: string[] | null | undefined, errors: ReturnType<typeof fieldErrors>) {
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
 * Every survey the token is limited to must exist. Audited (`token.create`, without the secret) in the
 * same transaction; `actor` by default the command line.
 */
export async function createAccessToken(db: Db, input: unknown, actor: Actor = CLI_ACTOR, now = new Date()): Promise<CreatedToken> {
  const parsed = adminTokenCreateSchema.safeParse(input)
  const errors = parsed.success ? fieldErrors() : fieldErrorsFromZod(parsed.error)
  const surveys = parsed.success ? await storedSurveyList(db, parsed.data.surveys, errors) : null
  if (!parsed.success || Object.keys(errors).length) throw badRequest('The token settings are not valid.', errors)
  const secret = randomToken(32)
  const expiresAt = parsed.data.expiresInDays ? new Date(now.getTime() + parsed.data.expiresInDays * 24 * 3600 * 1000) : null
  const row = await transaction(db, function* (tx) {
    const row = (yield* first(tx.insert(tables(tx).personalAccessTokens).values({
      name: parsed.data.name,
      secretHash: sha256(secret),
      scopes: [...new Set(parsed.data.scopes)],
      surveys,
      expiresAt,
      createdAt: now,
    }).returning()))!
    const { id: _id, ...settings } = accessTokenView(row)
    yield* auditIn(tx, actor, 'token.create', `token:${row.id}`, settings)
    return row
  })
  return { ...accessTokenView(row), token: `rgpat_${row.id}_${secret}` }
}

export async function listAccessTokens(db: Db) {
  const found = await read(db, function* (db) {
    const { personalAccessTokens } = tables(db)
    return yield* rows(db.select().from(personalAccessTokens).orderBy(desc(personalAccessTokens.id)))
  })
  return found.map(accessTokenView)
}

/**
 * Revokes a token (it stops working at once); revoking one already revoked changes nothing and is not
 * audited again. Audited (`token.revoke`) in the same transaction.
 */
export async function revokeAccessToken(db: Db, id: number, actor: Actor = CLI_ACTOR, now = new Date()): Promise<AccessTokenView> {
  const row = await transaction(db, function* (tx) {
    const { personalAccessTokens } = tables(tx)
    const existing = yield* first(tx.select().from(personalAccessTokens).where(eq(personalAccessTokens.id, id)))
    if (!existing || existing.revokedAt) return existing
    const revoked = yield* first(tx.update(personalAccessTokens).set({ revokedAt: now })
      .where(and(eq(personalAccessTokens.id, id), isNull(personalAccessTokens.revokedAt))).returning())
    if (revoked) yield* auditIn(tx, actor, 'token.revoke', `token:${id}`, { name: revoked.name })
    return revoked ?? existing
  })
  if (!row) throw notFound(`No access token ${id}.`)
  return accessTokenView(row)
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
