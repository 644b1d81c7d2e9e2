import { createHmac } from 'node:crypto'
import { jwtVerify, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import type { RespondentRow, SurveyRow } from '#server/database/schema'
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken, verifyAccessToken } from '#server/services/auth'

const SECRET = 'an-auth-secret-of-forty-characters-xxxxx'
const respondent = { id: 17, userId: 42 } as RespondentRow
const survey = { id: 3, slug: 'study' } as SurveyRow
const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
const signed = (header: object, claims: object, secret = SECRET, hash = 'sha256') => {
  const input = `${part(header)}.${part(claims)}`
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`
}
const now = () => Math.floor(Date.now() / 1000)
const claims = (extra: object = {}) => ({ sub: '17', sid: 3, iss: 'respondent-gateway', aud: 'respondent', iat: now(), exp: now() + 60, ...extra })

// Access tokens are signed and checked with node:crypto (server/utils/hmac-jws.ts), not jose: these
// hold them to what jose's jwtVerify would accept and refuse.
describe('access tokens', () => {
  it('are standard HS256 JWTs that jose verifies, with the respondent, survey, audience, issuer and a 15-minute expiry', async () => {
    const token = await issueAccessToken(SECRET, respondent, survey)
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET), { algorithms: ['HS256'], issuer: 'respondent-gateway', audience: 'respondent' })
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(payload).toMatchObject({ sub: '17', sid: 3, uid: 42, survey: 'study' })
    expect(payload.exp! - payload.iat!).toBe(ACCESS_TOKEN_TTL_SECONDS)
    expect(await verifyAccessToken(SECRET, token)).toEqual({ respondentId: 17, surveyId: 3 })
  })

  it('accepts one signed by jose with the same claims', async () => {
    const token = await new SignJWT({ sid: 3 }).setProtectedHeader({ alg: 'HS256' }).setSubject('17').setIssuer('respondent-gateway')
      .setAudience('respondent').setIssuedAt().setExpirationTime('1m').sign(new TextEncoder().encode(SECRET))
    expect(await verifyAccessToken(SECRET, token)).toEqual({ respondentId: 17, surveyId: 3 })
  })

  it('says an expired token has expired, from its exp on', async () => {
    const token = await issueAccessToken(SECRET, respondent, survey)
    const exp = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp
    expect(await verifyAccessToken(SECRET, token, new Date((exp - 1) * 1000))).toEqual({ respondentId: 17, surveyId: 3 })
    await expect(verifyAccessToken(SECRET, token, new Date(exp * 1000))).rejects.toMatchObject({ statusCode: 401, message: 'The access token has expired.' })
  })

  it('refuses anything else as not valid', async () => {
    const good = signed({ alg: 'HS256', typ: 'JWT' }, claims())
    const [header, , signature] = good.split('.')
    const refused = {
      'another secret': signed({ alg: 'HS256' }, claims(), 'another-secret-of-forty-characters-xxxxxx'),
      'a changed payload': `${header}.${part(claims({ sub: '18' }))}.${signature}`,
      'a signature spelled otherwise': `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`,
      'no signature': `${header}.${part(claims())}.`,
      'alg none': `${part({ alg: 'none' })}.${part(claims())}.`,
      'HS512': signed({ alg: 'HS512' }, claims(), SECRET, 'sha512'),
      'a critical header': signed({ alg: 'HS256', crit: ['x'], x: 1 }, claims()),
      'another issuer': signed({ alg: 'HS256' }, claims({ iss: 'someone-else' })),
      'another audience': signed({ alg: 'HS256' }, claims({ aud: 'admin' })),
      'no expiry': signed({ alg: 'HS256' }, claims({ exp: undefined })),
      'an expiry that is not a number': signed({ alg: 'HS256' }, claims({ exp: String(now() + 60) })),
      'a subject that is not a respondent id': signed({ alg: 'HS256' }, claims({ sub: 'alice' })),
      'no survey id': signed({ alg: 'HS256' }, claims({ sid: '3' })),
      'a payload that is not an object': signed({ alg: 'HS256' }, [claims()]),
      'not a JWT': 'garbage',
      'a header that is not JSON': `bm90IGpzb24.${part(claims())}.${signature}`,
    }
    for (const [what, token] of Object.entries(refused))
      await expect(verifyAccessToken(SECRET, token), what).rejects.toMatchObject({ statusCode: 401, message: 'The access token is not valid.' })
    expect(await verifyAccessToken(SECRET, good)).toEqual({ respondentId: 17, surveyId: 3 })
  })
})
