import { z } from 'zod'
import { isHttpUrl } from './survey'

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F]/
const noControlCharacters = (value: string) => !CONTROL_CHARACTERS.test(value)

export const usernameSchema = z.string({ error: 'username must be a string' })
  .min(1, 'username must not be empty')
  .max(256, 'username must be at most 256 characters')
  .refine(noControlCharacters, 'username must not contain control characters')

/** At least 10 characters with a lower-case letter, an upper-case letter and a digit. */
export const partnerPasswordSchema = z.string({ error: 'password must be a string' })
  .min(10, 'password must be at least 10 characters')
  .max(256, 'password must be at most 256 characters')
  .refine(value => /[a-z]/.test(value) && /[A-Z]/.test(value) && /\d/.test(value), 'password must contain a lower-case letter, an upper-case letter and a digit')

export const customFieldSchema = z.object({
  name: z.string().min(1).max(128).refine(noControlCharacters, 'must not contain control characters'),
  value: z.union([z.string().max(512), z.number().finite(), z.boolean()]).transform(String),
  public: z.boolean().optional(),
})
export type CustomFieldInput = z.infer<typeof customFieldSchema>

export const customFieldsSchema = z.array(customFieldSchema).max(100)
  .refine(fields => new Set(fields.map(field => field.name)).size === fields.length, 'custom field names must be unique')

export const redirectUrlSchema = z.string().max(2048).refine(isHttpUrl, 'redirectUrl must be an absolute http(s) URL')

/** The create-user JWT's own claims (SPEC.md 5.4). Unknown claims are ignored. */
export const createUserClaimsSchema = z.object({
  username: usernameSchema,
  password: partnerPasswordSchema.optional(),
  name: z.string().max(512, 'name must be at most 512 characters').refine(noControlCharacters, 'name must not contain control characters').optional(),
  customFields: customFieldsSchema.optional(),
  redirectUrl: redirectUrlSchema.optional(),
})
export type CreateUserClaims = z.infer<typeof createUserClaimsSchema>

export const createUserBodySchema = z.object({ token: z.unknown() })

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
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(256),
  captcha: captchaField,
})

export const tokenLoginSchema = z.object({
  token: z.string().min(1).max(256),
  captcha: captchaField,
})

export const accessTokenResponseSchema = z.object({ accessToken: z.string() })
export const captchaChallengeSchema = z.object({ surveyId: z.string(), provider: z.literal('captcha') })
export type LoginResponse = z.infer<typeof accessTokenResponseSchema> | z.infer<typeof captchaChallengeSchema>
