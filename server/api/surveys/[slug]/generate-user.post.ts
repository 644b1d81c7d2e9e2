import { useDb } from '#server/database'
import { registerRespondent } from '#server/services/registration'
import { requireSurvey } from '#server/services/surveys'
import { generateUserBodySchema } from '#shared/schemas/respondent'
import { registrationContext } from '#server/http/settings'
import { defineRouteSchemas, readValidatedJson, routerParam } from '#server/utils/request'

export const schemas = defineRouteSchemas({ body: generateUserBodySchema })

export default defineEventHandler(async (event) => {
  const { captcha } = await readValidatedJson(event, schemas.body)
  const db = useDb()
  const survey = await requireSurvey(db, routerParam(event, 'slug'))
  return await registerRespondent(db, survey, captcha, registrationContext(event))
})
