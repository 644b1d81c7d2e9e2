import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

/** Addresses a webhook may never reach: private, loopback, link-local, metadata, multicast, reserved. */
const blocked = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(network, prefix, 'ipv4')
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['64:ff9b::', 96], ['100::', 64],
] as const) blocked.addSubnet(network, prefix, 'ipv6')

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return blocked.check(address, 'ipv4')
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
    if (mapped) return blocked.check(mapped[1]!, 'ipv4')
    return blocked.check(address, 'ipv6')
  }
  return true
}

export class UnsafeTargetError extends Error {}

export interface ResolvedTarget { url: URL, address: string, family: 4 | 6 }

/**
 * Resolves a webhook URL and checks every address it resolves to; the connection must then go to the
 * returned address (not a second lookup), so DNS cannot answer differently between check and use.
 */
export async function resolveWebhookTarget(rawUrl: string, allowPrivate: boolean): Promise<ResolvedTarget> {
  const url = new URL(rawUrl)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UnsafeTargetError('only http(s) webhook targets are allowed')
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) as 4 | 6 }] : await lookup(host, { all: true, verbatim: true }) as { address: string, family: 4 | 6 }[]
  if (!addresses.length) throw new UnsafeTargetError(`${url.hostname} does not resolve`)
  if (!allowPrivate) {
    const unsafe = addresses.find(entry => isPrivateAddress(entry.address))
    if (unsafe) throw new UnsafeTargetError(`${url.hostname} resolves to a private or reserved address (${unsafe.address}); set NUXT_WEBHOOKS_ALLOW_PRIVATE=true to allow it`)
  }
  return { url, address: addresses[0]!.address, family: addresses[0]!.family }
}

/** Save-time check without DNS: refuses IP literals and names that are private by definition. */
export function obviouslyPrivateHost(rawUrl: string): boolean {
  try {
    const host = new URL(rawUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase()
    if (isIP(host)) return isPrivateAddress(host)
    return host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')
  }
  catch {
    return true
  }
}
