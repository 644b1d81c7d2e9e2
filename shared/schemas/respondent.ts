import { z } from 'zod'
import { isHttpUrl } from './survey'

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F]/
const noControlCharacters = (value: string) => !CONTROL_CHARACTERS.test(value)

/** Controls, C1 included (U+0080–U+009F, NEL U+0085 among them). */
const ANY_CONTROL_CHARACTER = /\p{Cc}/u
/** Invisible characters: zero-width (U+200B–U+200D, U+2060, BOM U+FEFF), bidi controls, soft hyphen, tags … */
const INVISIBLE_CHARACTERS = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u
/** Every space but the ordinary one: NBSP, en/em/thin spaces, ideographic space, line and paragraph separators. */
const OTHER_SPACES = /[^\P{Z} ]/u
/** Half of a surrogate pair without the other half: not text, and SQLite would store it altered. */
const LONE_SURROGATE = /\p{Cs}/u

export const MAX_USERNAME_LENGTH = 256

/**
 * A respondent's username as a person reads it: refused when it holds characters one cannot see or
 * tell apart (controls, invisible and bidi characters, spaces other than U+0020 or at either end,
 * lone surrogates), then normalised to NFC so that "José" typed either way is one username. Case
 * stays significant, as in Intake24. Every path that stores or looks up a username parses it here.
 */
export const usernameSchema = z.string({ error: 'username must be a string' })
  .min(1, 'username must not be empty')
  .refine(value => !LONE_SURROGATE.test(value), 'username must be valid Unicode text: it holds a lone surrogate (half of a UTF-16 pair)')
  .refine(value => !ANY_CONTROL_CHARACTER.test(value), 'username must not contain control characters')
  .refine(value => !INVISIBLE_CHARACTERS.test(value), 'username must not contain invisible characters (zero-width characters, bidi controls, soft hyphens, byte-order marks)')
  .refine(value => !OTHER_SPACES.test(value), 'username must not contain spaces other than the ordinary space (no non-breaking, wide or line-separator spaces)')
  .refine(value => !/^\s|\s$/u.test(value), 'username must not start or end with a space')
  .transform(value => value.normalize('NFC'))
  .refine(value => value.length <= MAX_USERNAME_LENGTH, `username must be at most ${MAX_USERNAME_LENGTH} characters`)

/** A part of a username to search for (the admin list's filter): any text, compared in NFC like usernames. */
export const usernameSearchSchema = z.string()
  .max(MAX_USERNAME_LENGTH, `username must be at most ${MAX_USERNAME_LENGTH} characters`)
  .refine(value => !LONE_SURROGATE.test(value), 'username must be valid Unicode text: it holds a lone surrogate (half of a UTF-16 pair)')
  .transform(value => value.normalize('NFC'))

/** At least 10 characters with a lower-case letter, an upper-case letter and a digit. */
export const partnerPasswordSchema = z.string({ error: 'password must be a string' })
  .min(10, 'password must be at least 10 characters')
  .max(256, 'password must be at most 256 characters')
  .refine(value => /[a-z]/.test(value) && /[A-Z]/.test(value) && /\d/.test(value), 'password must contain a lower-case letter, an upper-case letter and a digit')

export const customFieldSchema = z.object({
  name: z.string().min(1).max(128).refine(noControlCharacters, 'must not contain control characters'),
  // Any text, but U+0000: PostgreSQL cannot store it (and a JWT's claims are not checked as a request body is).
  value: z.union([z.string().max(512).refine(value => !value.includes('\0'), 'must not contain the NUL character (U+0000)'), z.number().finite(), z.boolean()]).transform(String),
  public: z.boolean().optional(),
})
export type CustomFieldInput = z.infer<typeof customFieldSchema>

export const customFieldsSchema = z.array(customFieldSchema).max(100)
  .refine(fields => new Set(fields.map(field => field.name)).size === fields.length, 'custom field names must be unique')

export const redirectUrlSchema = z.string().max(2048).refine(isHttpUrl, 'redirectUrl must be an absolute http(s) URL')

/** The create-user JWT's own claims. Unknown claims are ignored. */
export const createUserClaimsSchema = z.object({
  username: usernameSchema,
  password: partnerPasswordSchema.optional(),
  name: z.string().max(512, 'name must be at most 512 characters').refine(noControlCharacters, 'name must not contain control characters').optional(),
  customFields: customFieldsSchema.optional(),
  redirectUrl: redirectUrlSchema.optional(),
})
export type CreateUserClaims = z.infer<typeof createUserClaimsSchema>

/** A partner token is a few hundred bytes; anything near this is not one. */
export const MAX_PARTNER_JWT_LENGTH = 16 * 1024
export const COMPACT_JWS_PATTERN = /^[\w-]+\.[\w-]+\.[\w-]+$/
const TOKEN_REQUIRED = 'token is required: a JWT signed with the survey\'s secret'

/** Checked for its shape only; the signature and claims are checked against the survey. */
export const createUserBodySchema = z.object({
  token: z.string({ error: TOKEN_REQUIRED })
    .min(1, TOKEN_REQUIRED)
    .max(MAX_PARTNER_JWT_LENGTH, `token is longer than ${MAX_PARTNER_JWT_LENGTH} characters`)
    .regex(COMPACT_JWS_PATTERN, 'token is not a compact JWS (header.payload.signature)')
    .describe('A compact JWS (HS256 or HS512) signed with the survey\'s genUserKey; its claims are described by `x-jwt-claims`.'),
})

export const createUserResponseSchema = z.object({
  userId: z.string(),
  username: z.string(),
  authToken: z.string(),
  redirectUrl: z.string().optional(),
  name: z.string().optional(),
  customFields: z.array(z.object({ name: z.string(), value: z.string(), public: z.boolean() })).optional(),
})
export type CreateUserResponse = z.infer<typeof createUserResponseSchema>

export const captchaField = z.string().max(8192).nullable().optional()

export const generateUserBodySchema = z.object({
  captcha: captchaField.describe('The captcha answer, when the server has a captcha provider.'),
})

export const aliasLoginSchema = z.object({
  survey: z.string().min(1).max(128),
  username: usernameSchema,
  password: z.string().min(1).max(256),
  captcha: captchaField,
})

export const tokenLoginSchema = z.object({
  token: z.string().min(1).max(256),
  captcha: captchaField,
})

export const accessTokenResponseSchema = z.object({ accessToken: z.string() })
export const captchaChallengeSchema = z.object({ surveyId: z.string(), provider: z.literal('captcha') })
/** A sign-in's answer: an access token, or the challenge to answer the captcha first. */
export const loginResponseSchema = z.union([accessTokenResponseSchema, captchaChallengeSchema])
export type LoginResponse = z.infer<typeof loginResponseSchema>
