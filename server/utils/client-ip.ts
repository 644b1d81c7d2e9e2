import { getRequestHeader, type H3Event } from 'h3'

/**
 * The client's address: the socket's, unless NUXT_TRUST_PROXY says how many proxies in front of us
 * append to X-Forwarded-For; then the address that many hops from the right.
 */
export function clientIp(event: H3Event, trustedProxyHops: number): string {
  const socketAddress = event.node.req.socket.remoteAddress ?? 'unknown'
  const hops = Math.max(0, Math.floor(Number(trustedProxyHops) || 0))
  if (hops === 0) return socketAddress
  const forwarded = (getRequestHeader(event, 'x-forwarded-for') ?? '').split(',').map(part => part.trim()).filter(Boolean)
  const chain = [...forwarded, socketAddress]
  return chain[Math.max(0, chain.length - 1 - hops)] ?? socketAddress
}
