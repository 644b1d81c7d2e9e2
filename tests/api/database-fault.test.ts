import { describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { upsertSurveys } from '#server/services/surveys'
import { signPartnerToken } from '../support/jwt'
import { request, useTestServer } from '../support/server'
import { execute } from '../support/engine'

const server = await useTestServer()
const SECRET = 'fault-test-secret-long-enough-0123456789'

describe('a database fault', () => {
  it('is a 500 with a plain message — never a 403, never SQL in the answer', async () => {
    await upsertSurveys(server.db(), [{ slug: 'broken', name: 'Broken', supportEmail: 'a@example.org', state: 'active', allowGenUsers: true, genUserKey: SECRET }])
    await execute(server.db(), sql`DROP TABLE user_custom_fields`)
    await execute(server.db(), sql`ALTER TABLE respondents RENAME TO respondents_gone`)
    const response = await request('/api/surveys/broken/create-user', { method: 'POST', body: { token: await signPartnerToken(SECRET, { username: 'x' }) } })
    expect(response.status).toBe(500)
    expect(response.body).toEqual({ statusCode: 500, message: 'Internal server error.' })
    expect(JSON.stringify(response.body)).not.toMatch(/SQLITE|respondents|no such table|relation|does not exist/i)
  })
})
