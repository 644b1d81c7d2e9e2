export const REDACTED = '[redacted]'

/** Undoes the percent-encoding of ASCII characters (`%61` → `a`): enough to compare with an ASCII name, and never throws. */
export const decodeAscii = (text: string) => text.replace(/%([0-7][0-9a-f])/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))

/** A name as it reads once every layer of percent-encoding is gone (`%2561uth` → `auth`). */
function plainName(name: string): string {
  let plain = name
  for (let i = 0; i < 3 && plain.includes('%'); i++) plain = decodeAscii(plain)
  return plain.replace(/\+/g, ' ').toLowerCase()
}

const SECRET_PARAMS = new Set(['auth', 'token'])

// One part of an address in a log line: it ends at white space, a quote, or a delimiter, raw or
// percent-encoded once (an address quoted inside another, like Nuxt's `/__nuxt_error?url=%2Fx%3Fauth%3D…`).
const SEGMENT = String.raw`(?:[^/?#&%\s"'<>\x60]|%(?!2[36f]|3f)[0-9a-f]{2}|%(?![0-9a-f]{2}))+`
// `?auth=…` / `&token=…`, raw or encoded once; the name in any percent-encoding and case.
const QUERY_PARAM = new RegExp(String.raw`([?&;]|%3f|%26|%3b)((?:[^=?#&;%\s"'<>\x60]|%(?!3[dfb]|26)[0-9a-f]{2})+)(=|%3d)((?:[^#&%\s"'<>\x60]|%(?!2[36])[0-9a-f]{2}|%(?![0-9a-f]{2}))*)`, 'gi')
// The token in `/a/<token>` and the partner JWT in `/{slug}/create-user/<jwt>` (the router ignores case and decodes).
const TOKEN_SEGMENT = new RegExp(String.raw`((?:\/|%2f)(?:a|%61|%41|create-user)(?:\/|%2f))${SEGMENT}`, 'gi')
// Any path segment (after one slash: not the host after `//`) that is three base64url parts: JWT-shaped.
const PATH_SEGMENT = new RegExp(String.raw`(?:(?<=(?<!\/)\/)|(?<=%2f))${SEGMENT}`, 'gi')
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/
// A JWT anywhere: its header is JSON, so its first part starts with `ey` or `ew` (`{"` or `{` + white space).
const JWT = /(?:(?<![\w-])|(?<=%[0-9A-Fa-f]{2}))e[wy][\w-]{8,}\.[\w-]{2,}\.[\w-]*/g
const OTHER_SECRETS: [RegExp, string][] = [
  [/\b(Bearer\s+)[\w.~+/=-]+/gi, `$1${REDACTED}`],
  [/\b(rgpat_\d+_)[\w-]+/g, `$1${REDACTED}`], // personal access tokens: the id may stay, never the secret
  [/\bwhsec_[\w+/=-]+/g, `whsec_${REDACTED}`],
  [/\b(rg_refresh=)[^;\s"']+/g, `$1${REDACTED}`],
  // vue-router quotes the raw text it failed to decode, which can be a token.
  [/(Error decoding ")[^"]*"/g, `$1${REDACTED}"`],
]

/** Secret query values, also in a value that is itself an address (`?url=%2Fx%3Fauth%3D…`). */
function redactQuery(text: string): string {
  return text.replace(QUERY_PARAM, (_, separator: string, name: string, equals: string, value: string) =>
    `${separator}${name}${equals}${SECRET_PARAMS.has(plainName(name)) ? REDACTED : redactQuery(value)}`)
}

/**
 * The text with every credential an address or a header can carry replaced by `[redacted]`: `auth` and
 * `token` query values, `/a/<token>` and `/{slug}/create-user/<jwt>` path tokens, JWT-shaped path segments
 * and JWTs anywhere, access tokens, webhook secrets, refresh cookies and bearer tokens. For log lines.
 */
export function redact(text: string): string {
  let out = redactQuery(text)
  out = out.replace(TOKEN_SEGMENT, (_, prefix: string) => `${prefix}${REDACTED}`)
  out = out.replace(PATH_SEGMENT, segment => JWT_SHAPE.test(decodeAscii(segment)) ? REDACTED : segment)
  out = out.replace(JWT, REDACTED)
  for (const [pattern, replacement] of OTHER_SECRETS) out = out.replace(pattern, replacement)
  return out
}
