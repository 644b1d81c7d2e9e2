import { describe, expect, it } from 'vitest'
import { openDatabase } from '#server/database'
import {
  effectiveState,
  findSurveyBySlug,
  publicSurveyEntry,
  publicSurveyList,
  surveyAvailability,
  upsertSurvey,
  upsertSurveys,
} from '#server/services/surveys'
import { AppError } from '#server/utils/errors'

const freshDb = () => openDatabase(':memory:').db
const minimal = { name: 'Study', supportEmail: 'team@example.org' }

async function upsertError(db: ReturnType<typeof freshDb>, input: unknown): Promise<AppError> {
  try {
    await upsertSurveys(db, input)
  }
  catch (error) {
    if (error instanceof AppError) return error
    throw error
  }
  throw new Error('expected the upsert to fail')
}

describe('survey upsert', () => {
  it('creates with defaults, then updates only the fields given', async () => {
    const db = freshDb()
    const { survey, created } = await upsertSurvey(db, { slug: 'Study', ...minimal })
    expect(created).toBe(true)
    expect(survey).toMatchObject({ state: 'notStarted', localeId: 'en_GB', authModes: ['username', 'token'], authUrlTokenLength: 32, allowGenUsers: false })
    const updated = await upsertSurvey(db, { slug: 'STUDY', state: 'active' })
    expect(updated.created).toBe(false)
    expect(updated.survey).toMatchObject({ id: survey.id, slug: 'Study', name: 'Study', state: 'active' })
  })

  it('requires name and supportEmail only for a new survey', async () => {
    const error = await upsertError(freshDb(), { slug: 'new' })
    expect(error.statusCode).toBe(400)
    expect(Object.keys(error.errors!)).toEqual(['name', 'supportEmail'])
  })

  it('rejects a short secret, bad slug, unknown fields and wrong types, per field', async () => {
    const error = await upsertError(freshDb(), { slug: 'a b', name: 1, supportEmail: 'x', genUserKey: 'short', colour: 'red', authModes: [] })
    expect(error.errors).toMatchObject({
      slug: { msg: expect.stringContaining('1-128') },
      name: { msg: expect.any(String) },
      supportEmail: { msg: expect.any(String) },
      genUserKey: { msg: 'must be at least 32 characters' },
      colour: { msg: 'is not a known field' },
      authModes: { msg: expect.any(String) },
    })
  })

  it('refuses auth tokens under 128 bits and an end date before the start', async () => {
    const error = await upsertError(freshDb(), { slug: 's', ...minimal, authUrlTokenLength: 24, authUrlTokenCharset: '0123456789', startDate: '2026-05-01', endDate: '2026-04-01' })
    expect(error.errors!.authUrlTokenCharset!.msg).toContain('128')
    expect(error.errors!.endDate!.msg).toContain('after startDate')
    await expect(upsertSurvey(freshDb(), { slug: 's', ...minimal, authUrlTokenLength: 24 })).resolves.toBeTruthy() // 24 × log2(62) ≈ 142 bits
  })

  it('keeps username sign-in on open-access surveys (generated credentials must work)', async () => {
    const error = await upsertError(freshDb(), { slug: 'open', ...minimal, allowGenUsers: true, authModes: ['token'] })
    expect(error.errors).toHaveProperty('authModes')
    await expect(upsertSurvey(freshDb(), { slug: 'p', ...minimal, allowGenUsers: true, genUserKey: 'k'.repeat(32), authModes: ['token'] })).resolves.toBeTruthy()
  })

  it('writes nothing when any survey of a batch is invalid', async () => {
    const db = freshDb()
    await expect(upsertSurveys(db, [{ slug: 'good', ...minimal }, { slug: 'bad', ...minimal, state: 'open' }])).rejects.toThrow(AppError)
    expect(await findSurveyBySlug(db, 'good')).toBeUndefined()
  })

  it('generates a webhook secret once when notifications are configured', async () => {
    const db = freshDb()
    const first = await upsertSurvey(db, { slug: 'n', ...minimal, notifications: [{ type: 'survey.session.submitted', url: 'https://partner.example.org/hook' }] })
    expect(first.generatedWebhookSecret).toMatch(/^whsec_/)
    expect(first.survey.webhookSecret).toBe(first.generatedWebhookSecret)
    const second = await upsertSurvey(db, { slug: 'n', name: 'Renamed' })
    expect(second.generatedWebhookSecret).toBeUndefined()
    expect(second.survey.webhookSecret).toBe(first.generatedWebhookSecret)
  })
})

describe('survey lookup', () => {
  it('ignores case and treats LIKE wildcards as ordinary characters', async () => {
    const db = freshDb()
    await upsertSurveys(db, [{ slug: 'a_c', ...minimal }, { slug: 'abc', ...minimal }])
    expect((await findSurveyBySlug(db, 'A_C'))?.slug).toBe('a_c')
    expect(await findSurveyBySlug(db, 'a%')).toBeUndefined()
    expect(await findSurveyBySlug(db, '_bc')).toBeUndefined()
  })
})

describe('availability', () => {
  const survey = async (fields: object) => (await upsertSurvey(freshDb(), { slug: 's', ...minimal, ...fields })).survey
  const now = new Date('2026-06-15T12:00:00Z')

  it('derives the effective state from the dates', async () => {
    expect(effectiveState(await survey({ state: 'active', startDate: '2026-07-01' }), now)).toBe('notStarted')
    expect(effectiveState(await survey({ state: 'active', endDate: '2026-06-01' }), now)).toBe('completed')
    expect(effectiveState(await survey({ state: 'suspended', startDate: '2026-01-01', endDate: '2026-12-31' }), now)).toBe('suspended')
  })

  it('explains why a survey does not take respondents', async () => {
    expect(surveyAvailability(await survey({ state: 'suspended', suspensionReason: 'Maintenance' }), now)).toMatchObject({ acceptingRespondents: false, suspensionReason: 'Maintenance', message: expect.stringContaining('Maintenance') })
    expect(surveyAvailability(await survey({ state: 'active' }), now)).toEqual({ state: 'active', suspensionReason: null, acceptingRespondents: true, message: null })
  })

  it('lists only open-access surveys that are not completed', async () => {
    const db = freshDb()
    await upsertSurveys(db, [
      { slug: 'open', ...minimal, name: 'B', allowGenUsers: true, state: 'active' },
      { slug: 'partner', ...minimal, allowGenUsers: true, genUserKey: 'k'.repeat(32), state: 'active' },
      { slug: 'done', ...minimal, allowGenUsers: true, state: 'completed' },
      { slug: 'soon', ...minimal, name: 'A', allowGenUsers: true, state: 'notStarted' },
    ])
    expect((await publicSurveyList(db)).map(entry => entry.slug)).toEqual(['soon', 'open'])
    expect(Object.keys(publicSurveyEntry((await findSurveyBySlug(db, 'partner'))!))).not.toContain('genUserKey')
  })
})
