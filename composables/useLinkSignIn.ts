import type { LinkProblemKind } from '~/components/LinkProblem.vue'
import type { Text } from '~/composables/useRespondentTexts'
import type { SurveyAvailability } from '~~/shared/schemas/survey'

/** Why a sign-in link did not work, as LinkProblem shows it. */
export interface LinkProblemState { kind: LinkProblemKind, supportEmail?: string | null, tooMany?: boolean, retryAfterMinutes?: number, availability?: SurveyAvailability | null }
export interface LinkSignInState { problem: LinkProblemState | null, challenged: boolean, captchaError: Text | null }

/**
 * Signing in with the auth token of a link (/a/{token}, the create-user link), shown by LinkSignIn. The
 * survey may ask for a captcha first (`challenged`; the answer comes back to `signIn`) and a refused
 * answer is shown at the captcha; any other failure becomes the `problem` the page's `explain` finds.
 * The link's token is in the page's address: it is kept out of Referer headers here, and out of the
 * history by the page (which replaces the address at once).
 */
export function useLinkSignIn(explain: (error: unknown) => LinkProblemState | Promise<LinkProblemState>) {
  useHead({ meta: [{ name: 'referrer', content: 'no-referrer' }] })
  const { loginWithToken } = useRespondentAuth()
  const { t } = useI18n()
  const state = reactive<LinkSignInState>({ problem: null, challenged: false, captchaError: null })

  async function fail(error: unknown) {
    if (apiError(error)?.errors?.captcha) state.captchaError = () => t('errors.captchaRejected')
    else state.problem = await explain(error)
  }

  /** True once signed in. */
  async function signIn(authToken: string, captcha?: string): Promise<boolean> {
    try {
      const result = await loginWithToken(authToken, captcha)
      state.challenged = !result.ok
      return result.ok
    }
    catch (error) {
      await fail(error)
      return false
    }
  }

  return { state, signIn, fail }
}
