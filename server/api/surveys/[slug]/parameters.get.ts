import { surveyAvailability, surveyMeals } from '#server/services/surveys'
import { routerParam } from '#server/utils/request'
import { requireRespondent } from '#server/http/session'

/** What the survey app needs to run the survey for the signed-in respondent. */
export default defineEventHandler(async (event) => {
  const { survey } = await requireRespondent(event, routerParam(event, 'slug'))
  const availability = surveyAvailability(survey)
  return {
    id: String(survey.id),
    slug: survey.slug,
    name: survey.name,
    localeId: survey.localeId,
    supportEmail: survey.supportEmail,
    state: availability.state,
    suspensionReason: availability.suspensionReason,
    message: availability.message,
    feedbackEnabled: survey.feedbackEnabled,
    scheme: {
      meals: surveyMeals(survey),
      redirect: survey.scheme.redirect ? { timer: survey.scheme.redirect.timer, target: survey.scheme.redirect.target } : null,
    },
  }
})
