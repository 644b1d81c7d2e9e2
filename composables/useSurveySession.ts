import type { SurveyParameters, UserInfo } from '~~/shared/types/respondent-api'

/** The signed-in respondent's survey: its parameters and the respondent's own information, loaded on the client. */
export function useSurveySession(slug: string) {
  const { api } = useRespondentAuth()
  const parameters = ref<SurveyParameters | null>(null)
  const userInfo = ref<UserInfo | null>(null)
  const loadError = ref<string | null>(null)
  const loading = ref(true)

  async function load() {
    loading.value = true
    loadError.value = null
    try {
      const [p, u] = await Promise.all([
        api<SurveyParameters>(`/api/surveys/${encodeURIComponent(slug)}/parameters`),
        api<UserInfo>(`/api/surveys/${encodeURIComponent(slug)}/user-info`),
      ])
      parameters.value = p
      userInfo.value = u
    }
    catch (error) {
      loadError.value = apiError(error)?.message ?? 'The survey could not be loaded. Check your connection and try again.'
    }
    finally {
      loading.value = false
    }
  }

  return { parameters, userInfo, loadError, loading, load }
}

/** A one-time message carried to the next page (e.g. "the recall is not available: …"). */
export const useRespondentNotice = () => useState<string | null>('respondent-notice', () => null)
