import { renderSVG } from 'uqr'
import { useDb } from '#server/database'
import { startEnrolment } from '#server/services/admin-sessions'
import { requireConsoleSession } from '#server/http/admin'

/** Starts setting up two-factor sign-in: a new secret, as a key, an otpauth:// URI and its QR code. */
export default defineEventHandler(async (event) => {
  const signedIn = await requireConsoleSession(event, ['enrol', 'active'])
  const { secret, otpauthUri } = await startEnrolment(useDb(), signedIn)
  return { secret, otpauthUri, qrSvg: renderSVG(otpauthUri) }
})
