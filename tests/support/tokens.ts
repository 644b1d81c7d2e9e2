/**
 * The secret part of a personal access token `rgpat_<id>_<secret>`: everything after the second `_`.
 * The secret is base64url, so it may hold `_` and `-` itself: never split it on them.
 */
export function accessTokenSecret(token: string): string {
  const match = /^rgpat_\d+_(.+)$/.exec(token)
  if (!match) throw new Error('not a personal access token')
  return match[1]!
}
