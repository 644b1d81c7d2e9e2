import { setResponseHeaders } from 'h3'
import { cachedPage } from '#server/http/page-cache'

/** Serves a public page from the page cache when a fresh copy is there (see http/page-cache). */
export default defineEventHandler((event) => {
  const page = cachedPage(event)
  if (!page) return
  setResponseHeaders(event, { ...page.headers, 'x-page-cache': 'hit' })
  return page.body
})
