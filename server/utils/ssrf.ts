import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

/** IPv4 networks a webhook may never reach: private, loopback, link-local, metadata, multicast, reserved. */
const blockedV4 = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blockedV4.addSubnet(network, prefix, 'ipv4')

/**
 * IPv6 networks refused whatever they hold. Teredo (2001::/32) is refused whole: it tunnels to an
 * IPv4 host through a relay and no webhook receiver lives there. The ranges that embed an IPv4 address
 * (mapped, compatible, translated, 6to4, NAT64) are not listed: `embeddedIpv4` checks what they carry.
 */
const blockedV6 = new BlockList()
for (const [network, prefix] of [
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['2001:db8::', 32], ['3fff::', 20], ['100::', 64], ['2001::', 32],
] as const) blockedV6.addSubnet(network, prefix, 'ipv6')

/** The 16 bytes of an IPv6 address in any spelling (`::`, an IPv4 tail, a `%zone`), or undefined. */
export function ipv6Bytes(address: string): Uint8Array | undefined {
  let text = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  if (isIP(text) !== 6) return undefined
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, rest] = text.split('::') as [string, string | undefined]
  const groups = (part: string | undefined) => part ? part.split(':').map(group => Number.parseInt(group, 16)) : []
  const left = groups(head)
  const right = groups(rest)
  const words = rest === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right]
  if (words.length !== 8) return undefined
  const bytes = new Uint8Array(16)
  words.forEach((word, index) => {
    bytes[index * 2] = word >> 8
    bytes[index * 2 + 1] = word & 0xFF
  })
  return bytes
}

const zero = (bytes: Uint8Array, from: number, to: number) => bytes.subarray(from, to).every(byte => byte === 0)
const dotted = (bytes: Uint8Array, from: number) => Array.from(bytes.subarray(from, from + 4)).join('.')

type Embedded = { ipv4: string } | { refuse: true } | undefined

/**
 * The IPv4 address an IPv6 address carries, by the well-known ways of writing one inside the other:
 * IPv4-compatible `::a.b.c.d` (also `::` and `::1`), IPv4-mapped `::ffff:a.b.c.d`, IPv4-translated
 * `::ffff:0:a.b.c.d`, 6to4 `2002:AABB:CCDD::/48` and NAT64 `64:ff9b::/96`. The local-use NAT64 prefix
 * `64:ff9b:1::/48` may place the IPv4 address in several layouts (RFC 6052) we cannot tell apart: only
 * its `64:ff9b:1::a.b.c.d` form is read, any other address in it is refused.
 */
function embeddedIpv4(bytes: Uint8Array): Embedded {
  if (zero(bytes, 0, 12)) return { ipv4: dotted(bytes, 12) }
  if (zero(bytes, 0, 10) && bytes[10] === 0xFF && bytes[11] === 0xFF) return { ipv4: dotted(bytes, 12) }
  if (zero(bytes, 0, 8) && bytes[8] === 0xFF && bytes[9] === 0xFF && zero(bytes, 10, 12)) return { ipv4: dotted(bytes, 12) }
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return { ipv4: dotted(bytes, 2) }
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xFF && bytes[3] === 0x9B) {
    if (zero(bytes, 4, 12)) return { ipv4: dotted(bytes, 12) }
    if (bytes[4] === 0x00 && bytes[5] === 0x01) return zero(bytes, 6, 12) ? { ipv4: dotted(bytes, 12) } : { refuse: true }
  }
  return undefined
}

/** True for an address a webhook must not reach, in any spelling; anything that is not an IP address counts as private. */
export function isPrivateAddress(address: string): boolean {
  const host = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  const family = isIP(host)
  if (family === 4) return blockedV4.check(host, 'ipv4')
  if (family !== 6) return true
  const bytes = ipv6Bytes(host)
  if (!bytes) return true
  const embedded = embeddedIpv4(bytes)
  if (embedded) return 'refuse' in embedded || blockedV4.check(embedded.ipv4, 'ipv4')
  return blockedV6.check(host, 'ipv6')
}

const LOCAL_NAMES = ['localhost', 'metadata.google.internal', 'metadata', 'instance-data']
const LOCAL_SUFFIXES = ['.localhost', '.local', '.internal', '.localdomain', '.home.arpa']

/**
 * A host name that names this machine or its private network by definition, in any case and with or
 * without the trailing dot of a fully qualified name; a name without a dot is found only through the
 * local resolver's search domains, so it counts as local too.
 */
export function isLocalHostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.+$/, '')
  if (!name.includes('.')) return true
  return LOCAL_NAMES.includes(name) || LOCAL_SUFFIXES.some(suffix => name.endsWith(suffix))
}

export class UnsafeTargetError extends Error {}

export interface ResolvedTarget { url: URL, address: string, family: 4 | 6 }

const privateTarget = (url: URL, detail: string) =>
  new UnsafeTargetError(`${url.hostname} ${detail}; set NUXT_WEBHOOKS_ALLOW_PRIVATE=true to allow it`)

/**
 * Resolves a webhook URL and checks every address it resolves to; the connection must then go to the
 * returned address (not a second lookup), so DNS cannot answer differently between check and use.
 */
export async function resolveWebhookTarget(rawUrl: string, allowPrivate: boolean): Promise<ResolvedTarget> {
  const url = new URL(rawUrl)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UnsafeTargetError('only http(s) webhook targets are allowed')
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const literal = isIP(host)
  if (!allowPrivate && !literal && isLocalHostName(host)) throw privateTarget(url, 'is a local name')
  const addresses = literal
    ? [{ address: host, family: literal as 4 | 6 }]
    : await lookup(host, { all: true, verbatim: true }) as { address: string, family: 4 | 6 }[]
  if (!addresses.length) throw new UnsafeTargetError(`${url.hostname} does not resolve`)
  if (!allowPrivate) {
    const unsafe = addresses.find(entry => isPrivateAddress(entry.address))
    if (unsafe) throw privateTarget(url, `resolves to a private or reserved address (${unsafe.address})`)
  }
  return { url, address: addresses[0]!.address, family: addresses[0]!.family }
}

/** Save-time check without DNS: refuses IP literals and names that are private by definition. */
export function obviouslyPrivateHost(rawUrl: string): boolean {
  try {
    const host = new URL(rawUrl).hostname.replace(/^\[|\]$/g, '')
    return isIP(host) ? isPrivateAddress(host) : isLocalHostName(host)
  }
  catch {
    return true
  }
}
