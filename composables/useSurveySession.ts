import type { Text } from '~/composables/useRespondentTexts'
import type { SurveyParameters, UserInfo } from '~~/shared/types/respondent-api'

/**
 * A signed-in survey page (home, recall, feedback): on the client, the survey's parameters and the
 * respondent's own information, then what the page itself needs (`prepare`, which returns false when it
 * has sent the respondent elsewhere). `shell` is what SurveyShell shows meanwhile; a session the server
 * has ended leads back to the sign-in page (`leaveSignedOut`).
 */
export function useSurveySession(options: { loadingText: Text, failed: Text, prepare?: (parameters: SurveyParameters) => Promise<boolean | undefined> }) {
  const slug = String(useRoute().params.slug)
  const { api } = useRespondentAuth()
  const notice = useRespondentNotice()
  const parameters = ref<SurveyParameters | null>(null)
  const userInfo = ref<UserInfo | null>(null)
  const loadError = shallowRef<Text | null>(null)
  const { t } = useI18n()
  const { failureText } = useRespondentTexts()
  const ready = ref(false)

  /** Goes to the survey's home or sign-in page, which shows `message` once. */
  async function leaveWith(message: Text, to: 'home' | 'sign-in' = 'home') {
    notice.value = message
    await navigateTo(to === 'home' ? `/${slug}/home` : `/${slug}`, { replace: true })
  }

  const leaveSignedOut = (message: Text = () => t('errors.signedOut')) => leaveWith(message, 'sign-in')

  onMounted(async () => {
    try {
      const [p, u] = await Promise.all([
        api<SurveyParameters>(`/api/surveys/${encodeURIComponent(slug)}/parameters`),
        api<UserInfo>(`/api/surveys/${encodeURIComponent(slug)}/user-info`),
      ])
      parameters.value = p
      userInfo.value = u
      ready.value = await options.prepare?.(p) !== false
    }
    catch (error) {
      if (isSignedOut(error)) await leaveSignedOut()
      else loadError.value = () => failureText(error, { failed: textOf(options.failed) ?? '' })
    }
  })

  const shell = computed(() => ({
    slug,
    loadingText: textOf(options.loadingText) ?? '',
    loading: !ready.value && !loadError.value,
    who: ready.value && userInfo.value ? userInfo.value.name || userInfo.value.username : null,
    error: textOf(loadError.value),
  }))

  return { slug, parameters, userInfo, ready, shell, leaveWith, leaveSignedOut }
}

/** A one-time message carried to the next page (e.g. "the recall is not available: …"). */
export const useRespondentNotice = () => useState<Text | null>('respondent-notice', () => null)

/** The one-time message left for this page, taken when the page mounts so that it shows once. */
export function useFlashNotice() {
  const flash = useRespondentNotice()
  const notice = shallowRef<Text | null>(null)
  onMounted(() => {
    notice.value = flash.value
    flash.value = null
  })
  return notice
}
