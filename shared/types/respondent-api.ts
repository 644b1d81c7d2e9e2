export interface SurveyParameters {
  id: string
  slug: string
  name: string
  localeId: string
  supportEmail: string
  state: 'notStarted' | 'active' | 'suspended' | 'completed'
  suspensionReason: string | null
  message: string | null
  feedbackEnabled: boolean
  scheme: { meals: string[], redirect: { timer: number, target: '_self' | '_blank' } | null }
}

export interface UserInfo {
  userId: string
  username: string
  name: string | null
  customFields: { name: string, value: string }[]
  submissions: {
    total: number
    today: number
    lastSubmissionTime: string | null
    canSubmit: boolean
    reason: string | null
    nextSubmissionAt: string | null
    limits: { maximumDailySubmissions: number, maximumTotalSubmissions: number | null, minimumSubmissionInterval: number }
  }
  recallInProgress: boolean
}
