import { describe, expect, it } from 'vitest'
import type { RespondentRow, SurveyRow, UserRow } from '#server/database/schema'
import { followUpUrl } from '#server/services/follow-up'

const survey = (scheme: SurveyRow['scheme'], allowedRedirectOrigins: string[] = []) => ({ scheme, allowedRedirectOrigins }) as SurveyRow
const record = (redirectUrl: string | null = null) => ({
  user: { id: 42, name: null, disabled: false } as UserRow,
  respondent: { username: 'a b&c/é', authToken: 'TOKEN123', redirectUrl } as RespondentRow,
})
const fields = [{ name: 'studyId', value: 'S 1' }]

describe('followUpUrl', () => {
  it('replaces every {identifier} with the URL-encoded value', () => {
    const s = survey({ redirect: { url: 'https://partner.example.org/done?u={identifier}&again={identifier}', identifier: 'username', timer: 0, target: '_self' } })
    expect(followUpUrl(s, record(), fields)).toBe('https://partner.example.org/done?u=a%20b%26c%2F%C3%A9&again=a%20b%26c%2F%C3%A9')
  })

  it('uses userId, authToken or a custom field as the identifier, and a URL without placeholder as it is', () => {
    const url = (identifier: string) => followUpUrl(survey({ redirect: { url: 'https://p.example/{identifier}', identifier, timer: 0, target: '_self' } }), record(), fields)
    expect(url('userId')).toBe('https://p.example/42')
    expect(url('authToken')).toBe('https://p.example/TOKEN123')
    expect(url('studyId')).toBe('https://p.example/S%201')
    expect(url('missingField')).toBeNull()
    expect(followUpUrl(survey({ redirect: { url: 'https://p.example/thanks', identifier: 'userId', timer: 0, target: '_self' } }), record(), fields)).toBe('https://p.example/thanks')
  })

  it('prefers the respondent\'s JWT redirectUrl, when its origin is allowed', () => {
    const s = survey({ redirect: { url: 'https://p.example/{identifier}', identifier: 'userId', timer: 0, target: '_self' } }, ['https://portal.example.org'])
    expect(followUpUrl(s, record('https://portal.example.org/back?id={identifier}'), fields)).toBe('https://portal.example.org/back?id=42')
    expect(followUpUrl(s, record('https://p.example/other'), fields)).toBe('https://p.example/other')
    expect(followUpUrl(s, record('https://evil.example/steal'), fields)).toBeNull()
  })

  it('never returns javascript:, data: or other non-http URLs, nor a URL without any allowed origin', () => {
    const s = survey({}, ['https://portal.example.org'])
    expect(followUpUrl(s, record('javascript:alert(1)'), fields)).toBeNull()
    expect(followUpUrl(s, record('data:text/html,hi'), fields)).toBeNull()
    expect(followUpUrl(survey({}), record('https://portal.example.org/x'), fields)).toBeNull()
    expect(followUpUrl(survey({}), record(), fields)).toBeNull()
  })
})
