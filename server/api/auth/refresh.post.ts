import { useDb } from '../../database'
import { issueAccessToken, rotateRefreshToken } from '../../services/auth'
import { AppError } from '../../utils/errors'
import { clearRefreshCookie, readRefreshCookie, setRefreshCookie, useAuthSecret } from '../../utils/session'

export default defineEventHandler(async (event) => {
  try {
    const { record, survey, refresh } = await rotateRefreshToken(useDb(), readRefreshCookie(event))
    setRefreshCookie(event, refresh)
    return { accessToken: await issueAccessToken(useAuthSecret(), record.respondent, survey) }
  }
  catch (error) {
    if (error instanceof AppError && error.statusCode === 401) clearRefreshCookie(event)
    throw error
  }
})
