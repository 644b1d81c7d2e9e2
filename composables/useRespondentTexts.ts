import { DEFAULT_MEALS, type SurveyAvailability } from '~~/shared/schemas/survey'
import type { SubmissionStatus } from '~~/shared/types/respondent-api'

/**
 * A message for the respondent: text, or a function that writes it, so that it follows the language
 * menu after it was put on screen.
 */
export type Text = string | (() => string)
export const textOf = (text: Text | null | undefined): string | null => (typeof text === 'function' ? text() : text) || null

/** Whole minutes the server asked to wait before another attempt (its Retry-After), when it said. */
export function retryAfterMinutes(error: unknown): number | undefined {
  const value = (error as { response?: { headers?: Headers } } | null)?.response?.headers?.get?.('retry-after')
  const seconds = Number(value)
  return value && Number.isFinite(seconds) && seconds > 0 ? Math.max(1, Math.ceil(seconds / 60)) : undefined
}

type Availability = Pick<SurveyAvailability, 'state' | 'suspensionReason'> & { message?: string | null }

/** What a failed call tells the respondent: `failed` (what did not happen), `reassurance` and texts of our own by status. */
export interface FailureTexts { failed: string, reassurance?: string, byStatus?: Partial<Record<number, string>> }

/**
 * The respondent's texts that depend on what the server said. The API's own messages are English for
 * partners; the pages say the same things in the respondent's language from the status, the field at
 * fault and the data.
 */
export function useRespondentTexts() {
  const { t, n, locale } = useNuxtApp().$i18n

  const formatDate = (date: Date, options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(locale.value, options).format(date)

  /** Why the survey takes no respondents now (null when it does); a suspension reason stays as the team wrote it. */
  function availabilityText(availability: Availability | null | undefined): string | null {
    if (!availability) return null
    switch (availability.state) {
      case 'active':
        return null
      case 'notStarted': {
        // The server's own message carries the opening date (YYYY-MM-DD).
        const opens = /\b(\d{4}-\d{2}-\d{2})\b/.exec(availability.message ?? '')?.[1]
        return opens
          ? t('availability.notStartedUntil', { date: formatDate(new Date(`${opens}T00:00:00Z`), { dateStyle: 'long', timeZone: 'UTC' }) })
          : t('availability.notStarted')
      }
      case 'suspended':
        return availability.suspensionReason
          ? t('availability.suspendedBecause', { reason: availability.suspensionReason })
          : t('availability.suspended')
      case 'completed':
        return t('availability.completed')
    }
  }

  /** Why the respondent cannot start another recall now (null when they can). */
  function submissionBlockedText(status: SubmissionStatus, availability: Availability): string | null {
    if (status.canSubmit) return null
    const closed = availabilityText(availability)
    if (closed) return closed
    const { maximumTotalSubmissions, maximumDailySubmissions } = status.limits
    if (maximumTotalSubmissions !== null && status.total >= maximumTotalSubmissions) {
      return t('limits.total', { count: n(maximumTotalSubmissions) }, maximumTotalSubmissions)
    }
    if (status.today >= maximumDailySubmissions) return t('limits.daily', { count: n(maximumDailySubmissions) }, maximumDailySubmissions)
    if (status.nextSubmissionAt) {
      return t('limits.wait', { time: formatDate(new Date(status.nextSubmissionAt), { dateStyle: 'medium', timeStyle: 'short' }) })
    }
    return t('limits.other')
  }

  /** Too many attempts: how long to wait, when the server said. */
  function tooManyAttempts(error: unknown): string {
    const minutes = retryAfterMinutes(error)
    return minutes ? t('errors.tooManyAttemptsFor', { count: n(minutes) }, minutes) : t('errors.tooManyAttempts')
  }

  /**
   * What to tell the respondent about a failed call: the shared text for a refused captcha, one of ours
   * for the answer's status, or, when no answer came, what failed and to check the connection.
   */
  function failureText(error: unknown, texts: FailureTexts): string {
    const body = apiError(error)
    if (!body) {
      return texts.reassurance
        ? t('errors.noAnswerReassured', { failed: texts.failed, reassurance: texts.reassurance })
        : t('errors.noAnswer', { failed: texts.failed })
    }
    if (body.errors?.captcha) return t('errors.captchaRejected')
    const own = texts.byStatus?.[body.statusCode]
    if (own) return own
    if (body.statusCode === 429) return tooManyAttempts(error)
    if (body.statusCode >= 500) return t('errors.server', { failed: texts.failed })
    if (body.statusCode === 401) return t('errors.signedOut')
    if (body.statusCode === 403) return body.errors?.username ? t('errors.accountDisabled') : t('errors.notAllowed', { failed: texts.failed })
    if (body.statusCode === 404) return t('errors.surveyNotFound')
    if (body.statusCode === 409) return t('errors.recallCancelled')
    return t('errors.notAccepted', { failed: texts.failed })
  }

  /** A meal's name: the default names in the respondent's language, a survey's own names as it wrote them. */
  function mealName(name: string, surveyMeals: readonly string[] | undefined): string {
    const key = DEFAULT_MEAL_KEYS[DEFAULT_MEALS.indexOf(name)]
    return key && usesDefaultMeals(surveyMeals) ? t(`meals.${key}.name`) : name
  }

  /** A meal's name inside a sentence ("I did not have breakfast"). */
  function mealInSentence(name: string, surveyMeals: readonly string[] | undefined): string {
    const key = DEFAULT_MEAL_KEYS[DEFAULT_MEALS.indexOf(name)]
    return key && usesDefaultMeals(surveyMeals) ? t(`meals.${key}.inSentence`) : name
  }

  /** A meal's time (HH:MM) as the respondent's language writes times of day. */
  function mealTime(time: string): string {
    const match = /^(\d{2}):(\d{2})$/.exec(time)
    if (!match) return time
    return formatDate(new Date(Date.UTC(2000, 0, 1, Number(match[1]), Number(match[2]))), { hour: 'numeric', minute: '2-digit', timeZone: 'UTC' })
  }

  return { availabilityText, submissionBlockedText, tooManyAttempts, failureText, mealName, mealInSentence, mealTime, formatDate }
}

/** The messages of the default meals, in DEFAULT_MEALS's order. */
const DEFAULT_MEAL_KEYS = ['breakfast', 'morningSnack', 'lunch', 'afternoonSnack', 'dinner', 'eveningSnack'] as const

/** The survey asks for the default meals (not a list of its own, which stays as the survey wrote it). */
export function usesDefaultMeals(surveyMeals: readonly string[] | undefined): boolean {
  return !!surveyMeals && surveyMeals.length === DEFAULT_MEALS.length && surveyMeals.every((meal, index) => meal === DEFAULT_MEALS[index])
}
