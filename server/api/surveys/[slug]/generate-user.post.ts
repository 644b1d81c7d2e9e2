import { useDb } from '../../../database'
import { registerRespondent } from '../../../services/registration'
import { findSurveyBySlug } from '../../../services/surveys'
import { generateUserBodySchema } from '../../../../shared/schemas/respondent'
import { captchaConfig, rateLimitRule, requestIp } from '../../../utils/context'
import { notFound } from '../../../utils/errors'
import { readValidatedJson, routerParam } from '../../../utils/request'

export default defineEventHandler(async (event) => {
  const { captcha } = await readValidatedJson(event, generateUserBodySchema)
  const db = useDb()
  const survey = findSurveyBySlug(db, routerParam(event, 'slug'))
  if (!survey) throw notFound('Survey not found.')
  const { generateUserRateLimit: limits } = useRuntimeConfig()
  return registerRespondent(db, survey, captcha, {
    ip: requestIp(event),
    captcha: captchaConfig(),
    successLimit: rateLimitRule(limits),
    failureLimit: rateLimitRule(limits, limits.failedMax),
  })
})
