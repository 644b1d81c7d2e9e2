import { z } from 'zod'
import { surveyInputSchema } from './survey'

// Response shapes, for the OpenAPI document and the pages' types.

export const errorBodySchema = z.object({
  statusCode: z.number().int(),
  message: z.string(),
  errors: z.record(z.string(), z.object({ msg: z.string() })).optional(),
})

export const generatedCredentialsSchema = z.object({ username: z.string(), password: z.string() })
export const captchaSettingsSchema = z.object({ provider: z.enum(['none', 'hcaptcha']), siteKey: z.string() })
export const okSchema = z.object({ ok: z.boolean() })

export const surveyParametersSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  localeId: z.string(),
  supportEmail: z.string(),
  state: z.enum(['notStarted', 'active', 'suspended', 'completed']),
  suspensionReason: z.string().nullable(),
  message: z.string().nullable(),
  feedbackEnabled: z.boolean(),
  scheme: z.object({
    meals: z.array(z.string()),
    redirect: z.object({ timer: z.number(), target: z.enum(['_self', '_blank']) }).nullable(),
  }),
})

export const submissionStatusSchema = z.object({
  total: z.number().int(),
  today: z.number().int(),
  lastSubmissionTime: z.string().nullable(),
  canSubmit: z.boolean(),
  reason: z.string().nullable(),
  nextSubmissionAt: z.string().nullable(),
  limits: z.object({
    maximumDailySubmissions: z.number().int(),
    maximumTotalSubmissions: z.number().int().nullable(),
    minimumSubmissionInterval: z.number().int(),
  }),
})

export const userInfoSchema = z.object({
  userId: z.string(),
  username: z.string(),
  name: z.string().nullable(),
  customFields: z.array(z.object({ name: z.string(), value: z.string() })),
  submissions: submissionStatusSchema,
  recallInProgress: z.boolean(),
})

export const adminSurveySchema = surveyInputSchema.omit({ genUserKey: true, webhookSecret: true }).extend({
  id: z.string(),
  genUserKeySet: z.boolean(),
  webhookSecretSet: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  generatedWebhookSecret: z.string().optional().describe('Only in the answer that generated it: shown once.'),
})
export const adminSurveyListSchema = z.array(adminSurveySchema)

export const deliverySchema = z.object({
  id: z.string(),
  survey: z.string(),
  type: z.string(),
  url: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
  attemptLog: z.array(z.object({
    at: z.string(),
    statusCode: z.number().int().nullable(),
    durationMs: z.number().int(),
    error: z.string().nullable(),
    response: z.string().nullable(),
  })),
})
export const deliveryListSchema = z.array(deliverySchema)
