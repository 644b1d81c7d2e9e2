import { setResponseHeader } from 'h3'
import { operations } from '#server/openapi/document'
import { AppError } from '#server/utils/errors'

/** Every API path template (from the same list the OpenAPI document is built from) with its methods. */
const routes = (() => {
  const byPath = new Map<string, Set<string>>()
  for (const operation of operations) {
    const methods = byPath.get(operation.path) ?? new Set<string>()
    methods.add(operation.method.toUpperCase())
    if (operation.method === 'get') methods.add('HEAD')
    byPath.set(operation.path, methods)
  }
  return [...byPath].map(([path, methods]) => ({
    pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}/?$`),
    methods,
  }))
})()

/**
 * A known API path asked with a method it does not have is 405 with `Allow`, answered before routing
 * (otherwise Nitro hands it to the page renderer, which can only say 404); HEAD is answered as GET.
 */
export default defineEventHandler((event) => {
  if (!event.path.startsWith('/api/')) return
  const pathname = event.path.split('?')[0]!
  const route = routes.find(candidate => candidate.pattern.test(pathname))
  if (!route) return
  if (event.method === 'HEAD' && route.methods.has('GET')) {
    // The router has GET routes only: HEAD is answered by the GET handler, and Node sends no body for a
    // HEAD request. (h3 caches the method on the event, hence both assignments.)
    event.node.req.method = 'GET'
    ;(event as unknown as { _method: string })._method = 'GET'
    return
  }
  if (route.methods.has(event.method)) return
  const allowed = [...route.methods].join(', ')
  setResponseHeader(event, 'allow', allowed)
  throw new AppError(405, `Method ${event.method} is not allowed here; use ${allowed}.`)
})
