import { formatWithOptions } from 'node:util'
import { redact } from '#server/utils/redact'

const METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const
const wrapped = Symbol.for('respondent-gateway.redacted-console')

/**
 * Every line the server writes goes through console (Nitro's and Nuxt's request-error logs, h3's, ours):
 * each is formatted as console would, then redacted, so no address or header quoted in a log line
 * carries a credential.
 */
export default defineNitroPlugin(() => {
  const target = console as Console & { [wrapped]?: true }
  if (target[wrapped]) return
  target[wrapped] = true
  for (const method of METHODS) {
    const write = console[method].bind(console)
    console[method] = (...args: unknown[]) => write(redact(formatWithOptions({ colors: false }, ...args)))
  }
})
