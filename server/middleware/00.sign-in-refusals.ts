import { requestIp, signInRefusalDelayMs } from '#server/http/settings'
import { knownLimitedAddressRefusal } from '#server/services/login'
import { sendApiError } from '#server/error-handler'

const PASSWORD_SIGN_IN = '/api/auth/login/alias'
/** Refusals held at once; past it they are answered at once (a held one costs a timer and an open request). */
const MAX_HELD = 5_000
let held = 0

/**
 * A password sign-in from an address already known (in this process) to be over its failed-sign-in limit
 * is answered here, right after the security headers: no routing, no body, no error pipeline. And the
 * answer is held for a moment (NUXT_LOGIN_RATE_LIMIT_REFUSAL_DELAY_MS, 1 s by default): a script that
 * retries as soon as it is refused, with a thousand requests in flight, then sends a thousand a second
 * instead of as many as the server can refuse, and the event loop stays free for the respondents signing
 * in meanwhile. Nobody else waits for it: it is over its limit for minutes anyway (Retry-After says how long).
 */
export default defineEventHandler(async (event) => {
  if (event.method !== 'POST' || !event.path.startsWith(PASSWORD_SIGN_IN)) return
  if (event.path.length > PASSWORD_SIGN_IN.length && event.path[PASSWORD_SIGN_IN.length] !== '?') return
  const refusal = knownLimitedAddressRefusal(requestIp(event))
  if (!refusal) return
  const delayMs = signInRefusalDelayMs()
  if (delayMs > 0 && held < MAX_HELD) {
    held++
    try {
      await new Promise(resolve => setTimeout(resolve, delayMs))
    }
    finally {
      held--
    }
  }
  return sendApiError(event, refusal)
})
