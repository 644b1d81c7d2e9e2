import { getRequestHeader, type H3Event } from 'h3'
import { forbidden } from '#server/utils/errors'
import { normalOrigin, publicOrigin } from './settings'

/** The app's own origin, as browsers write it in `Origin`: NUXT_PUBLIC_ORIGIN when set, else the origin this request came to. */
export function ownOrigin(event: H3Event): string | undefined {
  const origin = publicOrigin(event)
  if (origin === undefined) return undefined
  try {
    return new URL(origin).origin
  }
  catch {
    return undefined
  }
}

/**
 * Refuses (403) a request another site made the browser send: an `Origin` header that is present and
 * not the app's own (`Origin: null` included), or `Sec-Fetch-Site: cross-site`. Server-to-server callers
 * send neither header and pass. `Sec-Fetch-Site: same-site` (a sibling subdomain) is not refused on its
 * own: browsers send `Origin` with every POST, and a sibling's origin is foreign, so the origin decides.
 */
export function assertSameOrigin(event: H3Event) {
  const refused = () => forbidden('This request must come from the app\'s own pages.', { origin: { msg: 'must be this site' } })
  if (getRequestHeader(event, 'sec-fetch-site')?.trim().toLowerCase() === 'cross-site') throw refused()
  const origin = getRequestHeader(event, 'origin')
  if (origin === undefined) return
  const own = ownOrigin(event)
  if (!own || normalOrigin(origin.trim()) !== own) throw refused()
}
