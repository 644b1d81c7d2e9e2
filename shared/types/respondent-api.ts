import type { z } from 'zod'
import type { submissionStatusSchema, surveyParametersSchema, userInfoSchema } from '#shared/schemas/responses'

export type SurveyParameters = z.infer<typeof surveyParametersSchema>
export type UserInfo = z.infer<typeof userInfoSchema>
export type SubmissionStatus = z.infer<typeof submissionStatusSchema>
