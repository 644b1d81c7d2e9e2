import { createHash } from 'node:crypto'
import { getResponseHeader, setResponseHeader } from 'h3'
import { storeRenderedPage } from '#server/http/page-cache'
import { captchaOn } from '#server/http/settings'
import { pageContentSecurityPolicy } from '#server/utils/security-headers'

/** Inline scripts that run (not JSON data blocks): Nuxt's config and bootstrap. */
const INLINE_SCRIPT = /<script(?![^>]*\bsrc=)(?![^>]*\btype="application\/json")[^>]*>([\s\S]*?)<\/script>/g

/**
 * Every rendered page: a CSP that allows the app's own scripts and exactly the inline scripts in this
 * page (by SHA-256); then, for cacheable public pages, the finished page goes into the page cache.
 */
export default defineNitroPlugin((nitroApp) => {
  const captcha = captchaOn()
  nitroApp.hooks.hook('render:html', (html, { event }) => {
    const hashes = new Set<string>()
    for (const chunk of [...html.head, ...html.bodyPrepend, ...html.body, ...html.bodyAppend]) {
      for (const [, script] of chunk.matchAll(INLINE_SCRIPT)) hashes.add(createHash('sha256').update(script!).digest('base64'))
    }
    setResponseHeader(event, 'content-security-policy', pageContentSecurityPolicy([...hashes], captcha))
  })
  nitroApp.hooks.hook('render:response', (response, { event }) => {
    if (response.statusCode !== 200 || typeof response.body !== 'string' || getResponseHeader(event, 'set-cookie')) return
    storeRenderedPage(event, response.body, {
      'content-type': String(response.headers?.['content-type'] ?? 'text/html;charset=utf-8'),
      'content-security-policy': String(getResponseHeader(event, 'content-security-policy') ?? ''),
    })
  })
})
