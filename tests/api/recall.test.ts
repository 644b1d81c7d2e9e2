import { beforeAll, describe, expect, it } from 'vitest'
import { and, count, eq } from 'drizzle-orm'
import { createOrUpdateFromPartner } from '#server/services/respondents'
import { findSurveyBySlug, upsertSurveys } from '#server/services/surveys'
import { request, useTestServer } from '../support/server'
import { schema } from '../support/engine'

const { recallSessions, submissionFoods, submissionMeals, submissions, surveyEvents, webhookDeliveries } = schema

const server = await useTestServer()
const base = { supportEmail: 'team@example.org', state: 'active' as const, allowGenUsers: true, genUserKey: 'r'.repeat(40), minimumSubmissionInterval: 0, maximumDailySubmissions: 10, feedbackEnabled: true }
const HOOK = 'https://partner.example.org/hooks/recall'

beforeAll(async () => {
  await upsertSurveys(server.db(), [
    {
      ...base,
      slug: 'recall',
      name: 'Recall study',
      userCustomFields: true,
      allowedRedirectOrigins: ['https://portal.example.org'],
      scheme: { redirect: { url: 'https://partner.example.org/done?u={identifier}&check={identifier}', identifier: 'username', timer: 5, target: '_self' } },
      notifications: [
        { type: 'survey.session.started', url: HOOK },
        { type: 'survey.session.cancelled', url: HOOK },
        { type: 'survey.session.submitted', url: HOOK },
      ],
    },
    { ...base, slug: 'daily', name: 'Daily limit', maximumDailySubmissions: 2 },
    { ...base, slug: 'total', name: 'Total limit', maximumTotalSubmissions: 1 },
    { ...base, slug: 'interval', name: 'Interval', minimumSubmissionInterval: 3600 },
    { ...base, slug: 'paused', name: 'Paused', state: 'suspended', suspensionReason: 'Ethics amendment' },
    { ...base, slug: 'other', name: 'Other' },
  ])
})

const users = new Map<string, number>()
async function signedIn(
  slug: string,
  username: string,
  claims: { redirectUrl?: string, customFields?: { name: string, value: string, public?: boolean }[] } = {},
) {
  const db = server.db()
  const created = await createOrUpdateFromPartner(db, (await findSurveyBySlug(db, slug))!, { username, ...claims })
  users.set(`${slug}/${username}`, Number(created.userId))
  const login = await request('/api/auth/login/token', { method: 'POST', body: { token: created.authToken } })
  const headers = { authorization: `Bearer ${login.body.accessToken}` }
  return {
    userId: Number(created.userId),
    start: () => request(`/api/surveys/${slug}/session`, { method: 'POST', headers }),
    save: (data: unknown) => request(`/api/surveys/${slug}/session`, { method: 'PUT', headers, body: { data } }),
    cancel: () => request(`/api/surveys/${slug}/session`, { method: 'DELETE', headers }),
    submit: (body: unknown) => request(`/api/surveys/${slug}/submission`, { method: 'POST', headers, body }),
    info: () => request(`/api/surveys/${slug}/user-info`, { headers }),
    feedback: () => request(`/api/surveys/${slug}/submissions`, { headers }),
  }
}

const meals = [
  { name: 'Breakfast', time: '07:30', foods: [{ description: 'Porridge with milk', amount: 250, unit: 'g' }, { description: 'Coffee', amount: '1', unit: 'mug', drink: true }] },
  { name: 'Lunch', skipped: true, foods: [] },
]
const events = async (userId: number, type?: string) => server.db().select().from(surveyEvents).where(
  type ? and(eq(surveyEvents.userId, userId), eq(surveyEvents.type, type)) : eq(surveyEvents.userId, userId),
).orderBy(surveyEvents.id)

describe('recall session', () => {
  it('starts, resumes the same session, saves progress and finds it again', async () => {
    const r = await signedIn('recall', 'ana')
    const started = await r.start()
    expect(started.status).toBe(200)
    expect(started.body).toEqual({
      sessionId: expect.any(String),
      startTime: expect.any(String),
      updatedAt: expect.any(String),
      data: { meals: [] },
    })

    const draft = { meals: [{ name: 'Breakfast', time: '07:30', foods: [{ id: 'f1', description: 'Tea' }] }], step: 'meals' }
    const saved = await r.save(draft)
    expect(saved.status).toBe(200)
    const resumed = await r.start()
    expect(resumed.body.sessionId).toBe(started.body.sessionId)
    expect(resumed.body.data).toEqual(draft)
    expect((await events(r.userId, 'survey.session.started'))).toHaveLength(1)
    const info = await r.info()
    expect(info.body.recallInProgress).toBe(true)
  })

  it('writes the started event and its webhook delivery with the session', async () => {
    const r = await signedIn('recall', 'ben')
    const { body } = await r.start()
    const [event] = await events(r.userId, 'survey.session.started')
    expect(event).toMatchObject({ sessionId: body.sessionId })
    expect(JSON.parse(event!.payload)).toEqual({ type: 'survey.session.started', surveyId: expect.any(String), userId: String(r.userId), sessionId: body.sessionId })
    const deliveries = await server.db().select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, event!.id))
    expect(deliveries).toMatchObject([{ url: HOOK, status: 'pending' }])
  })

  it('validates saved progress and caps its size', async () => {
    const r = await signedIn('recall', 'cy')
    await r.start()
    const bad = await r.save({ meals: 'breakfast' })
    expect(bad.status).toBe(400)
    expect(bad.body.errors).toHaveProperty('data.meals')
    const huge = await r.save({ meals: [{ name: 'x', foods: Array.from({ length: 50 }, () => ({ description: 'y'.repeat(500), unit: 'z'.repeat(32) })) }, { name: 'x', foods: Array.from({ length: 50 }, () => ({ description: 'y'.repeat(500) })) }, { name: 'x', foods: Array.from({ length: 50 }, () => ({ description: 'y'.repeat(500) })) }] })
    expect(huge.status).toBe(413)
  })

  it('cancels with an event; saving afterwards is 404; starting again opens a new session', async () => {
    const r = await signedIn('recall', 'dee')
    const first = await r.start()
    const cancelled = await r.cancel()
    expect(cancelled.status).toBe(200)
    expect((await events(r.userId, 'survey.session.cancelled'))).toMatchObject([{ sessionId: first.body.sessionId }])
    expect((await r.save({ meals: [] })).status).toBe(404)
    expect((await r.cancel()).status).toBe(404)
    const second = await r.start()
    expect(second.body.sessionId).not.toBe(first.body.sessionId)
  })
})

describe('submission', () => {
  it('stores meals and foods, closes the session, writes the submitted event, and is idempotent per session', async () => {
    const r = await signedIn('recall', 'eve x&y')
    const session = await r.start()
    const submitted = await r.submit({ sessionId: session.body.sessionId, meals })
    expect(submitted.status).toBe(200)
    expect(submitted.body).toEqual({
      submission: { id: expect.any(String), submissionTime: expect.any(String) },
      followUpUrl: 'https://partner.example.org/done?u=eve%20x%26y&check=eve%20x%26y',
    })
    const db = server.db()
    const mealRows = await db.select().from(submissionMeals)
      .where(eq(submissionMeals.submissionId, submitted.body.submission.id)).orderBy(submissionMeals.position)
    expect(mealRows.map(m => [m.name, m.time, m.skipped])).toEqual([['Breakfast', '07:30', false], ['Lunch', null, true]])
    const foods = await db.select().from(submissionFoods)
      .where(eq(submissionFoods.mealId, mealRows[0]!.id)).orderBy(submissionFoods.position)
    expect(foods.map(f => [f.description, f.amount, f.unit, f.drink])).toEqual([['Porridge with milk', '250', 'g', false], ['Coffee', '1', 'mug', true]])
    expect((await db.select().from(recallSessions).where(eq(recallSessions.id, session.body.sessionId)))[0]!.state).toBe('submitted')

    const [event] = await events(r.userId, 'survey.session.submitted')
    const payload = JSON.parse(event!.payload)
    expect(payload).toMatchObject({ type: 'survey.session.submitted', sessionId: session.body.sessionId, submissionId: submitted.body.submission.id, data: { id: submitted.body.submission.id, meals: [{ name: 'Breakfast' }, { name: 'Lunch', skipped: true }], user: { id: String(r.userId), aliases: [{ username: 'eve x&y' }] } } })

    const again = await r.submit({ sessionId: session.body.sessionId, meals })
    expect(again.status).toBe(200)
    expect(again.body).toEqual(submitted.body)
    expect((await db.select({ n: count() }).from(submissions).where(eq(submissions.userId, r.userId)))[0]!.n).toBe(1)
    expect((await events(r.userId, 'survey.session.submitted'))).toHaveLength(1)
  })

  it('submits without a session (one is opened and closed) and lets the JWT redirectUrl win', async () => {
    const r = await signedIn('recall', 'fay', { redirectUrl: 'https://portal.example.org/back?p={identifier}' })
    const submitted = await r.submit({ meals })
    expect(submitted.status).toBe(200)
    expect(submitted.body.followUpUrl).toBe('https://portal.example.org/back?p=fay')
    expect((await events(r.userId)).map(e => e.type)).toEqual(['survey.respondent.created', 'survey.session.started', 'survey.session.submitted'])
  })

  it('gives no follow-up URL for a disallowed origin', async () => {
    const r = await signedIn('recall', 'gus', { redirectUrl: 'https://elsewhere.example.net/' })
    expect((await r.submit({ meals })).body.followUpUrl).toBeNull()
  })

  it('rejects invalid recalls with errors per field and writes nothing', async () => {
    const r = await signedIn('recall', 'hal')
    const before = (await server.db().select({ n: count() }).from(surveyEvents))[0]!.n
    for (const [body, field] of [
      [{ meals: [] }, 'meals'],
      [{ meals: [{ name: 'Lunch', foods: [] }] }, 'meals'],
      [{ meals: [{ name: 'Lunch', skipped: true, foods: [{ description: 'x' }] }] }, 'meals.0.foods'],
      [{ meals: [{ name: 'Lunch', time: '25:00', foods: [{ description: 'x' }] }] }, 'meals.0.time'],
      [{ meals: [{ name: 'Lunch', foods: [{ description: '' }] }] }, 'meals.0.foods.0.description'],
      [{ meals: [{ name: 'Lunch', foods: [{ description: 'x'.repeat(501) }] }] }, 'meals.0.foods.0.description'],
      [{ sessionId: 'nope', meals }, 'sessionId'],
    ] as const) {
      const response = await r.submit(body)
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400)
      expect(response.body.errors, field).toHaveProperty(field)
    }
    expect((await server.db().select({ n: count() }).from(surveyEvents))[0]!.n).toBe(before)
  })

  it('refuses to submit a cancelled session', async () => {
    const r = await signedIn('recall', 'ida')
    const { body } = await r.start()
    await r.cancel()
    const response = await r.submit({ sessionId: body.sessionId, meals })
    expect(response.status).toBe(409)
  })
})

describe('limits and state, enforced by the server', () => {
  it('daily limit: the third recall of the day is 403 with the reason, and nothing is written', async () => {
    const r = await signedIn('daily', 'day')
    expect((await r.submit({ meals })).status).toBe(200)
    expect((await r.submit({ meals })).status).toBe(200)
    const before = (await server.db().select({ n: count() }).from(surveyEvents))[0]!.n
    const third = await r.submit({ meals })
    expect(third.status).toBe(403)
    expect(third.body.message).toMatch(/today's limit of 2/)
    expect((await r.start()).status).toBe(403)
    expect((await server.db().select({ n: count() }).from(surveyEvents))[0]!.n).toBe(before)
    expect((await r.info()).body.submissions).toMatchObject({ total: 2, today: 2, canSubmit: false })
  })

  it('total limit', async () => {
    const r = await signedIn('total', 'tot')
    expect((await r.submit({ meals })).status).toBe(200)
    const second = await r.submit({ meals })
    expect(second.status).toBe(403)
    expect(second.body.message).toMatch(/all 1 recall/)
  })

  it('minimum interval between recalls', async () => {
    const r = await signedIn('interval', 'int')
    expect((await r.submit({ meals })).status).toBe(200)
    const second = await r.submit({ meals })
    expect(second.status).toBe(403)
    expect(second.body.message).toMatch(/Please wait until/)
    expect((await r.info()).body.submissions.nextSubmissionAt).toEqual(expect.any(String))
  })

  it('parallel submits cannot exceed the limit', async () => {
    const r = await signedIn('total', 'racer')
    const answers = await Promise.all(Array.from({ length: 6 }, () => r.submit({ meals })))
    expect(answers.filter(a => a.status === 200)).toHaveLength(1)
    expect(answers.filter(a => a.status === 403)).toHaveLength(5)
  })

  it('a survey that is not active takes no recall', async () => {
    const r = await signedIn('paused', 'pia')
    const start = await r.start()
    expect(start.status).toBe(403)
    expect(start.body.message).toContain('Ethics amendment')
    expect((await r.submit({ meals })).status).toBe(403)
  })
})

describe('feedback data and the 401/403 matrix', () => {
  it('lists the respondent\'s own submissions with meals and foods', async () => {
    const r = await signedIn('recall', 'jo')
    await r.submit({ meals })
    const response = await r.feedback()
    expect(response.status).toBe(200)
    expect(response.body).toEqual([{ id: expect.any(String), submissionTime: expect.any(String), meals: [
      { name: 'Breakfast', time: '07:30', skipped: false, foods: [{ description: 'Porridge with milk', amount: '250', unit: 'g', drink: false }, { description: 'Coffee', amount: '1', unit: 'mug', drink: true }] },
      { name: 'Lunch', time: null, skipped: true, foods: [] },
    ] }])
  })

  it('401 without a token and 403 with another survey\'s token on every recall endpoint', async () => {
    const other = await signedIn('other', 'ola')
    const otherLogin = await request('/api/auth/login/token', { method: 'POST', body: { token: (await createOrUpdateFromPartner(server.db(), (await findSurveyBySlug(server.db(), 'other'))!, { username: 'ola' })).authToken } })
    const calls: [string, string, unknown?][] = [['POST', 'session'], ['PUT', 'session', { data: { meals: [] } }], ['DELETE', 'session'], ['POST', 'submission', { meals }], ['GET', 'submissions']]
    for (const [method, path, body] of calls) {
      expect((await request(`/api/surveys/recall/${path}`, { method, body })).status, `${method} ${path}`).toBe(401)
      expect((await request(`/api/surveys/recall/${path}`, { method, body, headers: { authorization: `Bearer ${otherLogin.body.accessToken}` } })).status, `${method} ${path}`).toBe(403)
    }
    expect(other.userId).toBeGreaterThan(0)
  })
})
