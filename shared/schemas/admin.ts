import { z } from 'zod'
import { notificationTypes } from './survey'
import { customFieldsSchema, partnerPasswordSchema, redirectUrlSchema, usernameSchema, usernameSearchSchema } from './respondent'

export const adminRespondentCreateSchema = z.strictObject({
  username: usernameSchema,
  password: partnerPasswordSchema.optional(),
  name: z.string().max(512).nullable().optional(),
  customFields: customFieldsSchema.optional(),
  redirectUrl: redirectUrlSchema.nullable().optional(),
})
export type AdminRespondentCreate = z.infer<typeof adminRespondentCreateSchema>

export const adminRespondentUpdateSchema = z.strictObject({
  password: partnerPasswordSchema.nullable().optional(),
  name: z.string().max(512).nullable().optional(),
  customFields: customFieldsSchema.optional(),
  redirectUrl: redirectUrlSchema.nullable().optional(),
  disabled: z.boolean().optional(),
})
export type AdminRespondentUpdate = z.infer<typeof adminRespondentUpdateSchema>

export const respondentListQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(100000).default(1),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  username: usernameSearchSchema.optional(),
})

/** `?force=true` deletes a survey with its respondents; without it a survey that has any is kept (409). */
export const surveyDeleteQuerySchema = z.object({
  force: z.enum(['true', 'false'], { error: 'force must be true or false' }).default('false').transform(force => force === 'true'),
})
export const surveyDeletedSchema = z.object({ deleted: z.string(), respondentsRemoved: z.number().int() })

/** The event of a test delivery (`POST /api/admin/surveys/{slug}/notifications/test`). */
export const TEST_EVENT_TYPE = 'webhook.test'

export const deliveryListQuerySchema = z.object({
  survey: z.string().max(128).optional(),
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
  event: z.enum([...notificationTypes, TEST_EVENT_TYPE]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})

export const adminRespondentSchema = z.object({
  userId: z.string(),
  username: z.string(),
  name: z.string().nullable(),
  disabled: z.boolean(),
  hasPassword: z.boolean(),
  redirectUrl: z.string().nullable(),
  customFields: z.array(z.object({ name: z.string(), value: z.string(), public: z.boolean() })),
  createdAt: z.string(),
})
export type AdminRespondent = z.infer<typeof adminRespondentSchema>

export const adminRespondentPageSchema = z.object({
  items: z.array(adminRespondentSchema),
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
})
export type AdminRespondentPage = z.infer<typeof adminRespondentPageSchema>
/** A respondent just created, with the auth token of their sign-in links. */
export const adminRespondentCreatedSchema = adminRespondentSchema.extend({ authToken: z.string() })
export const authTokenRotatedSchema = z.object({ userId: z.string(), authToken: z.string() })
export const authLinksCsvSchema = z.string().describe('Columns: userId, username, authToken, shortLink, surveyLink, feedbackLink.')

export const deliveryResendResultSchema = z.object({ id: z.string(), status: z.literal('pending') })

export const surveySecretSchema = z.strictObject({ kind: z.enum(['jwt', 'webhook'], { error: 'kind must be jwt or webhook' }) })
/** The new secret, shown this once. */
export const surveySecretCreatedSchema = z.object({ kind: z.enum(['jwt', 'webhook']), secret: z.string() })

export const notificationTestSchema = z.object({ deliveries: z.array(z.object({ id: z.string(), url: z.string() })) })

export const completionPreviewQuerySchema = z.object({ username: usernameSchema.default('sample') })
export const completionPreviewSchema = z.object({ url: z.string().nullable() })
