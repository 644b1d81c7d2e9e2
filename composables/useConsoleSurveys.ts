import type { JwtPolicy, NotificationTarget, SurveyScheme, SurveyState } from '~~/shared/schemas/survey'

/** A survey as the admin API shows it (secrets only as whether they are set). */
export interface ConsoleSurvey {
  id: string
  slug: string
  name: string
  localeId: string
  originatingUrl: string | null
  supportEmail: string
  state: SurveyState
  startDate: string | null
  endDate: string | null
  suspensionReason: string | null
  allowGenUsers: boolean
  authCaptcha: boolean
  authModes: ('username' | 'token')[]
  authUrlTokenLength: number
  authUrlTokenCharset: string | null
  authUrlDomainOverride: string | null
  userPersonalIdentifiers: boolean
  userCustomFields: boolean
  maximumDailySubmissions: number
  maximumTotalSubmissions: number | null
  minimumSubmissionInterval: number
  feedbackEnabled: boolean
  allowedRedirectOrigins: string[]
  languages: string[] | null
  jwtPolicy: JwtPolicy
  scheme: SurveyScheme
  notifications: NotificationTarget[]
  genUserKeySet: boolean
  webhookSecretSet: boolean
  createdAt: string
  updatedAt: string
  /** Only in the answer that generated it (a survey given notifications without a webhook secret). */
  generatedWebhookSecret?: string
}

const STATE_LABELS: Record<SurveyState, string> = { notStarted: 'Not started', active: 'Active', suspended: 'Suspended', completed: 'Completed' }
export const stateLabel = (state: SurveyState) => STATE_LABELS[state] ?? state

/** The surveys the signed-in account sees, for filters (null until loaded; empty if the call failed). */
export function useSurveyChoices() {
  const choices = ref<{ slug: string, name: string }[] | null>(null)
  onMounted(async () => {
    try {
      choices.value = (await consoleApi<ConsoleSurvey[]>('/api/admin/surveys')).map(({ slug, name }) => ({ slug, name }))
    }
    catch {
      choices.value = []
    }
  })
  return choices
}
