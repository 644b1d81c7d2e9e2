import { useDb } from '#server/database'
import { issueAccessToken, rotateRefreshToken } from '#server/services/auth'
import { AppError } from '#server/utils/errors'
import { assertSameOrigin } from '#server/http/same-origin'
import { clearRefreshCookie, readRefreshCookie, setRefreshCookie, useAuthSecret } from '#server/http/session'

export default defineEventHandler(async (event) => {
  assertSameOrigin(event)
  try {
    const { record, survey, refresh } = await rotateRefreshToken(useDb(), readRefreshCookie(event))
    setRefreshCookie(event, refresh)
    return { accessToken: await issueAccessToken(await useAuthSecret(), record.respondent, survey) }
  }
  catch (error) {
    if (error instanceof AppError && error.statusCode === 401) clearRefreshCookie(event)
    throw error
  }
})
