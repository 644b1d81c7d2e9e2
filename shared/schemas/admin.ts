import { z } from 'zod'
import { customFieldsSchema, partnerPasswordSchema, redirectUrlSchema, usernameSchema } from './respondent'

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
  username: z.string().max(256).optional(),
})

export const deliveryListQuerySchema = z.object({
  survey: z.string().max(128).optional(),
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
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
