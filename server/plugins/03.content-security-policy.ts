import { randomBytes } from 'node:crypto'
import { setResponseHeader } from 'h3'
import { pageContentSecurityPolicy } from '../utils/security-headers'

/**
 * Nuxt puts a few inline scripts in every page (its config and payload). Each page gets a fresh nonce on
 * them and a CSP that allows only scripts from the app's origin and those carrying the nonce.
 */
export default defineNitroPlugin((nitroApp) => {
  const captcha = useRuntimeConfig().captchaProvider === 'hcaptcha'
  nitroApp.hooks.hook('render:html', (html, { event }) => {
    const nonce = randomBytes(16).toString('base64')
    const addNonce = (chunks: string[]) => chunks.map(chunk => chunk.replace(/<script(?![^>]*\bnonce=)/g, `<script nonce="${nonce}"`))
    html.head = addNonce(html.head)
    html.bodyPrepend = addNonce(html.bodyPrepend)
    html.body = addNonce(html.body)
    html.bodyAppend = addNonce(html.bodyAppend)
    setResponseHeader(event, 'content-security-policy', pageContentSecurityPolicy(nonce, captcha))
  })
})
