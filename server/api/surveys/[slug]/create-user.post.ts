import { useDb } from '../../../database'
import { createOrUpdateFromPartner } from '../../../services/respondents'
import { assertSurveyActive, findSurveyBySlug } from '../../../services/surveys'
import { createUserBodySchema, createUserClaimsSchema } from '../../../../shared/schemas/respondent'
import { forbidden, notFound, validationError } from '../../../utils/errors'
import { assertCompactJws, verifyPartnerToken } from '../../../utils/partner-jwt'
import { readValidatedJson, routerParam } from '../../../utils/request'

/** SPEC.md 5.4: a partner's signed token creates (or finds) the respondent and returns their auth token. */
export default defineEventHandler(async (event) => {
  const { token } = await readValidatedJson(event, createUserBodySchema)
  assertCompactJws(token)
  const db = useDb()
  const survey = findSurveyBySlug(db, routerParam(event, 'slug'))
  if (!survey) throw notFound('Survey not found.')
  if (!survey.allowGenUsers || !survey.genUserKey) throw forbidden('This survey does not accept partner-created respondents.')
  const { payload, jtiExpiresAt } = await verifyPartnerToken(token, survey, { publicOrigin: useRuntimeConfig().public.origin || undefined })
  assertSurveyActive(survey)
  const claims = createUserClaimsSchema.safeParse(payload)
  if (!claims.success) throw validationError(claims.error, 'The token\'s claims are not valid.')
  const jti = jtiExpiresAt ? { value: payload.jti as string, expiresAt: jtiExpiresAt } : undefined
  return createOrUpdateFromPartner(db, survey, claims.data, { jti })
})
