import { useDb } from '#server/database'
import { createOrUpdateFromPartner } from '#server/services/respondents'
import { assertSurveyActive, requireSurvey } from '#server/services/surveys'
import { createUserBodySchema, createUserClaimsSchema } from '#shared/schemas/respondent'
import { forbidden, validationError } from '#server/utils/errors'
import { verifyPartnerToken } from '#server/utils/partner-jwt'
import { defineRouteSchemas, MAX_JSON_BODY_BYTES, readValidatedJson, routerParam } from '#server/utils/request'
import { configuredOrigin } from '#server/http/settings'

export const schemas = defineRouteSchemas({ body: createUserBodySchema, claims: createUserClaimsSchema })

/** A partner's signed token creates (or finds) the respondent and returns their auth token. */
export default defineEventHandler(async (event) => {
  // A malformed token is answered with what is wrong with it as the message, as partners have always read it.
  const { token } = await readValidatedJson(event, schemas.body, MAX_JSON_BODY_BYTES, errors => errors.token?.msg)
  const db = useDb()
  const survey = await requireSurvey(db, routerParam(event, 'slug'))
  if (!survey.allowGenUsers || !survey.genUserKey) throw forbidden('This survey does not accept partner-created respondents.')
  const { payload, jtiExpiresAt } = await verifyPartnerToken(token, survey, { publicOrigin: configuredOrigin() })
  assertSurveyActive(survey)
  const claims = schemas.claims.safeParse(payload)
  if (!claims.success) throw validationError(claims.error, 'The token\'s claims are not valid.')
  const jti = jtiExpiresAt ? { value: payload.jti as string, expiresAt: jtiExpiresAt } : undefined
  return await createOrUpdateFromPartner(db, survey, claims.data, { jti })
})
