import { z } from 'zod'

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/
const text = (max: number) => z.string().trim().max(max).refine(value => !CONTROL.test(value), 'must not contain control characters')
export const MEAL_TIME_PATTERN = /^(?:[01]\d|2[0-3]):[0-5]\d$/
export const MAX_SESSION_DATA_BYTES = 64 * 1024

const amountSchema = z.union([z.number().finite().nonnegative().max(100000), text(32)])
  .transform(value => String(value))

export const submittedFoodSchema = z.object({
  description: text(500).pipe(z.string().min(1, 'describe the food or drink')),
  amount: amountSchema.nullable().optional(),
  unit: text(32).nullable().optional(),
  drink: z.boolean().optional(),
})
export type SubmittedFood = z.infer<typeof submittedFoodSchema>

export const submittedMealSchema = z.object({
  name: text(64).pipe(z.string().min(1, 'the meal needs a name')),
  time: z.string().regex(MEAL_TIME_PATTERN, 'time must be HH:MM (24-hour)').nullable().optional(),
  skipped: z.boolean().optional(),
  foods: z.array(submittedFoodSchema).max(50, 'at most 50 foods per meal').default([]),
}).refine(meal => !(meal.skipped && meal.foods.length), { message: 'a skipped meal has no foods', path: ['foods'] })

export const submissionRequestSchema = z.object({
  sessionId: z.uuid('sessionId must be the id of a recall session').optional(),
  meals: z.array(submittedMealSchema).min(1, 'the recall needs at least one meal').max(20),
}).refine(
  submission => submission.meals.some(meal => meal.foods.length > 0) || submission.meals.every(meal => meal.skipped),
  { message: 'record at least one food or drink, or mark every meal as skipped', path: ['meals'] },
)
export type SubmissionRequest = z.infer<typeof submissionRequestSchema>

/** The recall in progress as the page keeps it: lenient (half-typed foods are fine), but bounded. */
export const draftFoodSchema = z.strictObject({
  id: z.string().max(64).optional(),
  description: text(500).default(''),
  amount: z.union([z.number(), z.string().max(32)]).nullable().optional(),
  unit: text(32).nullable().optional(),
  drink: z.boolean().optional(),
})
export const draftMealSchema = z.strictObject({
  name: text(64),
  time: z.string().max(5).nullable().optional(),
  skipped: z.boolean().optional(),
  foods: z.array(draftFoodSchema).max(50).default([]),
})
export const recallDraftSchema = z.strictObject({
  meals: z.array(draftMealSchema).max(20),
  step: z.enum(['meals', 'review']).optional(),
})
export type RecallDraft = z.infer<typeof recallDraftSchema>
export const sessionSaveSchema = z.strictObject({ data: recallDraftSchema })

/** The recall in progress as the session routes answer it. */
export const recallSessionViewSchema = z.object({
  sessionId: z.string(),
  startTime: z.string(),
  updatedAt: z.string(),
  data: recallDraftSchema,
})
export type RecallSessionView = z.infer<typeof recallSessionViewSchema>

export const sessionCancelResultSchema = z.object({ sessionId: z.string(), cancelled: z.boolean() })
export type SessionCancelResult = z.infer<typeof sessionCancelResultSchema>

/** A submission's answer: the submission, and where to send the respondent next. */
export const submissionResultSchema = z.object({
  submission: z.object({ id: z.string(), submissionTime: z.string() }),
  followUpUrl: z.string().nullable(),
})
export type SubmissionResult = z.infer<typeof submissionResultSchema>

const submittedFoodViewSchema = z.object({
  description: z.string(),
  amount: z.string().nullable(),
  unit: z.string().nullable(),
  drink: z.boolean(),
})
/** A submission as the respondent's feedback page reads it back. */
export const feedbackSubmissionSchema = z.object({
  id: z.string(),
  submissionTime: z.string(),
  meals: z.array(z.object({
    name: z.string(),
    time: z.string().nullable(),
    skipped: z.boolean(),
    foods: z.array(submittedFoodViewSchema),
  })),
})
export type FeedbackSubmission = z.infer<typeof feedbackSubmissionSchema>
/** The respondent's own submissions, newest first. */
export const feedbackSubmissionListSchema = z.array(feedbackSubmissionSchema)
