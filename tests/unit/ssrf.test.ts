import { describe, expect, it } from 'vitest'
import { isPrivateAddress, obviouslyPrivateHost, resolveWebhookTarget, UnsafeTargetError } from '#server/utils/ssrf'

/** Private IPv4 addresses and the ways of writing each one inside an IPv6 address. */
const PRIVATE_V4: [string, string][] = [
  ['127.0.0.1', '7f00:1'],
  ['10.0.0.1', 'a00:1'],
  ['192.168.1.1', 'c0a8:101'],
  ['169.254.169.254', 'a9fe:a9fe'],
  ['172.16.0.1', 'ac10:1'],
  ['100.64.0.1', '6440:1'],
  ['0.0.0.0', '0:0'],
]

const spellings = ([v4, hex]: [string, string]) => [
  `::${v4}`, // IPv4-compatible
  `::${hex}`,
  `0:0:0:0:0:0:${v4}`,
  `::ffff:${v4}`, // IPv4-mapped
  `::ffff:${hex}`,
  `0:0:0:0:0:ffff:${hex}`,
  `0000:0000:0000:0000:0000:FFFF:${hex.toUpperCase()}`,
  `::ffff:0:${v4}`, // IPv4-translated
  `::ffff:0:${hex}`,
  `2002:${hex}::`, // 6to4
  `2002:${hex}:1234::5`,
  `64:ff9b::${v4}`, // NAT64, well-known prefix
  `64:ff9b::${hex}`,
  `64:ff9b:1::${v4}`, // NAT64, local-use prefix
  `64:ff9b:1::${hex}`,
]

const PUBLIC_V4: [string, string] = ['93.184.216.34', '5db8:d822']

describe('isPrivateAddress', () => {
  it('refuses every IPv6 spelling of a private IPv4 address', async () => {
    for (const pair of PRIVATE_V4) {
      expect(isPrivateAddress(pair[0]), pair[0]).toBe(true)
      for (const address of spellings(pair)) expect(isPrivateAddress(address), address).toBe(true)
    }
  })

  it('allows a public IPv4 address written inside 6to4, NAT64 or as mapped IPv6', async () => {
    expect(isPrivateAddress(PUBLIC_V4[0])).toBe(false)
    for (const address of spellings(PUBLIC_V4)) expect(isPrivateAddress(address), address).toBe(false)
  })

  it('refuses the local-use NAT64 prefix where it does not hold a readable IPv4 address, and Teredo', async () => {
    for (const address of ['64:ff9b:1:5db8:d8:2200::', '64:ff9b:1:ffff::5db8:d822', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001::1'])
      expect(isPrivateAddress(address), address).toBe(true)
  })

  it('refuses IPv6 loopback, unspecified, unique-local, link-local, site-local, multicast and documentation addresses', async () => {
    for (const address of ['::1', '::', '0:0:0:0:0:0:0:1', 'fd12:3456::1', 'fe80::1', 'fe80::1%eth0', 'fec0::1', 'ff02::1', '2001:db8::1', '3fff::1', '[::1]'])
      expect(isPrivateAddress(address), address).toBe(true)
  })

  it('allows public IPv6 addresses and counts anything else as private', async () => {
    for (const address of ['2606:4700:4700::1111', '2a00:1450:4009:81f::200e', '2001:4860:4860::8888'])
      expect(isPrivateAddress(address), address).toBe(false)
    for (const address of ['', 'localhost', '1.2.3', '::ffff:1.2.3.4.5', 'fe80::1::2'])
      expect(isPrivateAddress(address), address).toBe(true)
  })
})

const urlsOf = (host: string) => [`http://${host}/hook`, `https://${host}:8443/hook?x=1`]

const PRIVATE_LITERAL_HOSTS = [
  '[::127.0.0.1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::ffff:0:7f00:1]', '[0:0:0:0:0:ffff:7f00:1]',
  '[::10.1.2.3]', '[::ffff:10.1.2.3]', '[::ffff:0:a01:203]', '[::ffff:192.168.0.1]', '[::ffff:c0a8:1]', '[::169.254.169.254]',
  '[::ffff:a9fe:a9fe]', '[2002:7f00:1::]', '[2002:a9fe:a9fe::1]', '[2002:c0a8:101::]', '[64:ff9b::127.0.0.1]', '[64:ff9b::a00:1]',
  '[64:ff9b:1::a9fe:a9fe]', '[::]', '[::1]', '127.1', '0x7f.1', '2130706433', '10.0.0.1', '169.254.169.254',
]
const LOCAL_NAMES = [
  'localhost', 'LOCALHOST', 'localhost.', 'foo.localhost', 'foo.localhost.', 'a.b.localhost', 'metadata.google.internal',
  'metadata.google.internal.', 'Metadata.Google.Internal', 'metadata.internal', 'printer.local', 'printer.local.', 'intranet', 'intranet.',
  'router.home.arpa',
]

describe('obviouslyPrivateHost (save time, no DNS)', () => {
  it('refuses every spelling of a private IP literal', async () => {
    for (const host of PRIVATE_LITERAL_HOSTS) for (const url of urlsOf(host)) expect(obviouslyPrivateHost(url), url).toBe(true)
  })

  it('refuses local names with or without the trailing dot', async () => {
    for (const host of LOCAL_NAMES) for (const url of urlsOf(host)) expect(obviouslyPrivateHost(url), url).toBe(true)
  })

  it('allows public names and public addresses, also embedded in 6to4 or NAT64', async () => {
    for (const host of ['partner.example.org', 'partner.example.org.', 'localhost.example.org', 'internal.example.org', '93.184.216.34', '[2606:4700:4700::1111]', '[2002:5db8:d822::1]', '[64:ff9b::93.184.216.34]', '[::ffff:93.184.216.34]'])
      for (const url of urlsOf(host)) expect(obviouslyPrivateHost(url), url).toBe(false)
  })
})

describe('resolveWebhookTarget (send time)', () => {
  const refused = async (url: string) => {
    const error = await resolveWebhookTarget(url, false).then(() => undefined, (error: unknown) => error)
    expect(error, url).toBeInstanceOf(UnsafeTargetError)
  }

  it('refuses every spelling of a private IP literal without resolving anything', async () => {
    for (const host of PRIVATE_LITERAL_HOSTS) for (const url of urlsOf(host)) await refused(url)
  })

  it('refuses local names before resolving them', async () => {
    for (const host of LOCAL_NAMES) for (const url of urlsOf(host)) await refused(url)
  })

  it('answers a public IP literal with the address to connect to, in any spelling', async () => {
    expect(await resolveWebhookTarget('http://93.184.216.34/hook', false)).toMatchObject({ address: '93.184.216.34', family: 4 })
    expect(await resolveWebhookTarget('http://[64:ff9b::93.184.216.34]/hook', false)).toMatchObject({ address: '64:ff9b::5db8:d822', family: 6 })
    expect(await resolveWebhookTarget('http://[2002:5db8:d822::1]/hook', false)).toMatchObject({ address: '2002:5db8:d822::1', family: 6 })
  })

  it('lets private targets through when private webhooks are allowed', async () => {
    expect(await resolveWebhookTarget('http://[::ffff:7f00:1]:8080/hook', true)).toMatchObject({ address: '::ffff:7f00:1', family: 6 })
  })
})
