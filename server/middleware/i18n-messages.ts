import { setResponseHeader, setResponseStatus } from 'h3'
import { isLanguageCode } from '../../i18n/languages'

const MESSAGES = /^\/_i18n\/[^/]+\/([^/]*)\/messages\.json$/

/**
 * @nuxtjs/i18n serves each language's messages at /_i18n/{hash}/{code}/messages.json, and fails with a
 * 500 (a stack trace in the log) for a code such as `constructor`: only our own codes reach it; any
 * other is a plain 404.
 */
export default defineEventHandler((event) => {
  if (!event.path.startsWith('/_i18n/')) return
  const code = MESSAGES.exec(event.path.split('?')[0]!)?.[1]
  if (code === undefined || isLanguageCode(code)) return
  setResponseStatus(event, 404)
  setResponseHeader(event, 'content-type', 'application/json; charset=utf-8')
  setResponseHeader(event, 'cache-control', 'no-store')
  return { statusCode: 404, message: 'Not found.' }
})
