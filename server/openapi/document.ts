import { z } from 'zod'
import {
  adminRespondentCreatedSchema,
  adminRespondentCreateSchema,
  adminRespondentPageSchema,
  adminRespondentSchema,
  adminRespondentUpdateSchema,
  authLinksCsvSchema,
  authTokenRotatedSchema,
  deliveryListQuerySchema,
  completionPreviewQuerySchema,
  completionPreviewSchema,
  deliveryResendResultSchema,
  notificationTestSchema,
  respondentListQuerySchema,
  surveyDeletedSchema,
  surveyDeleteQuerySchema,
  surveySecretCreatedSchema,
  surveySecretSchema,
} from '#shared/schemas/admin'
import {
  feedbackSubmissionListSchema, recallSessionViewSchema, sessionCancelResultSchema, sessionSaveSchema, submissionRequestSchema,
  submissionResultSchema,
} from '#shared/schemas/recall'
import {
  accessTokenResponseSchema,
  aliasLoginSchema,
  createUserBodySchema,
  createUserClaimsSchema,
  createUserResponseSchema,
  generateUserBodySchema,
  loginResponseSchema,
  tokenLoginSchema,
} from '#shared/schemas/respondent'
import {
  adminSurveyListSchema,
  adminSurveySchema,
  captchaSettingsSchema,
  deliveryListSchema,
  errorBodySchema,
  generatedCredentialsSchema,
  okSchema,
  surveyParametersSchema,
  userInfoSchema,
} from '#shared/schemas/responses'
import {
  publicSurveyEntrySchema, publicSurveyListSchema, surveyAvailabilitySchema, surveyInputSchema, surveyUpdateSchema,
} from '#shared/schemas/survey'
import { ADMIN_SCOPES, type AdminScope } from '#server/services/access-tokens'
import {
  adminAccountChangedSchema, adminAccountCreatedSchema, adminAccountCreateSchema, adminAccountListSchema, adminAccountUpdateSchema,
  adminPasswordLinkSchema, adminRecoveryCodesSchema, adminSecondFactorSchema, adminSessionSchema, adminSetPasswordLinkSchema,
  adminSignInSchema, adminTokenCreatedSchema, adminTokenCreateSchema, adminTokenListSchema, adminTokenSchema, adminTotpConfirmSchema,
  adminTotpEnrolmentSchema, auditPageSchema, auditQuerySchema,
} from '#shared/schemas/admin-console'

type Auth = 'none' | 'respondent' | 'refreshCookie' | 'adminSession' | AdminScope
interface Answer { description: string, schema?: z.ZodType, contentType?: string, headers?: Record<string, string> }
/**
 * One documented endpoint. `body`, `query` and `claims` are the very objects the route file exports
 * as `schemas` and validates with; response schemas describe what the route answers. All of them are
 * imported from shared/schemas, never defined here (tests/api/openapi.test.ts checks both by identity).
 */
export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete'
  path: string
  summary: string
  description?: string
  tag: 'Public' | 'Partner' | 'Respondent' | 'Admin' | 'Console'
  auth: Auth
  body?: z.ZodType
  query?: z.ZodObject
  /** The claims of the JWT the body carries (documented as `x-jwt-claims`). */
  claims?: z.ZodType
  responses: Record<number, Answer>
}

const common = {
  400: { description: 'The request is not valid: `errors` names each field (or JWT claim) at fault.' },
  401: { description: 'No valid credentials.' },
  403: { description: 'Not allowed (the message says why).' },
  404: { description: 'Not found.' },
  429: { description: 'Rate limited; see `Retry-After`.', headers: { 'Retry-After': 'Seconds to wait.' } },
} satisfies Record<number, Answer>
type Failure = keyof typeof common
const answer = (description: string, schema?: z.ZodType): Answer => ({ description, schema })
const commonAnswers = (codes: Failure[]) => Object.fromEntries(codes.map(code => [code, common[code]]))
const passwordQueueFull: Answer = {
  description: 'The server is busy hashing passwords; see `Retry-After`.',
  headers: { 'Retry-After': 'Seconds to wait.' },
}
const crossSite: Answer = { description: 'Sent from another site (a foreign `Origin` or `Sec-Fetch-Site: cross-site`).' }

/** What an entry of the table says beyond its summary and success answer: only where it differs from its group. */
interface Extra extends Pick<Operation, 'description' | 'body' | 'query' | 'claims'> {
  /** The success status when it is not 200. */
  status?: 201 | 202
  /** The common failures when they are not the group's (400 is added for an entry that takes a body or a query). */
  fails?: Failure[]
  /** Further answers: 409, 413, 503 … */
  also?: Record<number, Answer>
}
type Entry = Omit<Operation, 'method' | 'path'>

/** The entries of one group share their tag, their credentials and the failures they usually answer with. */
const group = (tag: Operation['tag'], auth: Auth, usualFailures: Failure[]) =>
  (summary: string, success: Answer, extra: Extra = {}): Entry => {
    const { status = 200, fails = usualFailures, also, ...described } = extra
    const failures: Failure[] = described.body || described.query ? [400, ...fails] : fails
    return { tag, auth, summary, ...described, responses: { [status]: success, ...commonAnswers(failures), ...also } }
  }

const open = group('Public', 'none', [])
const partner = group('Partner', 'none', [403, 404])
const respondentSignIn = group('Respondent', 'none', [401, 403, 429])
const refreshCookie = group('Respondent', 'refreshCookie', [])
const respondent = group('Respondent', 'respondent', [401, 403, 404])
/** Admin endpoints: a token with `scope`, or the console's sign-in. */
const admin = (scope: AdminScope) => group('Admin', scope, [401, 403, 404, 429])
const consoleSignedIn = group('Console', 'adminSession', [401, 403])
const consoleOpen = group('Console', 'none', [403])
/** Console accounts and tokens: an owner's console sign-in; a token or a staff account gets 403. */
const owner = group('Console', 'adminSession', [401, 403, 429])

const signedInAnswer = answer('An access token (and the HttpOnly refresh cookie), or a captcha challenge.', loginResponseSchema)

const operationTable: Record<`${Uppercase<Operation['method']>} /api/${string}`, Entry> = {
  'GET /api/surveys': open('Open-access surveys, sorted by name', answer('Public survey entries.', publicSurveyListSchema)),
  'GET /api/surveys/{slug}': open('One survey\'s public entry (slug ignoring case)', answer('The public entry.', publicSurveyEntrySchema), { fails: [404] }),
  'GET /api/surveys/{slug}/availability': open(
    'Whether the survey takes respondents now, and if not why', answer('Availability.', surveyAvailabilitySchema), { fails: [404] }),
  'POST /api/surveys/{slug}/generate-user': open('Self-registration on an open-access survey', answer('Credentials, shown once.', generatedCredentialsSchema), {
    description: 'Behind the captcha when one is configured; rate limited per client address.',
    body: generateUserBodySchema,
    fails: [403, 404, 429],
    also: { 503: answer('The captcha provider did not answer in time.') },
  }),
  'POST /api/surveys/{slug}/create-user': partner('Create (or find) a respondent from a partner\'s signed JWT', answer('The respondent and their auth token.', createUserResponseSchema), {
    description: 'Idempotent per username. The token is checked against the survey\'s secret and JWT policy '
      + '(alg, exp, nbf, iat, sub, aud, iss, jti); its payload is a JSON object of the claims in `x-jwt-claims`.',
    body: createUserBodySchema, claims: createUserClaimsSchema, also: { 503: passwordQueueFull },
  }),
  'GET /api/auth/captcha': open('Which captcha the pages should show', answer('Provider and public site key.', captchaSettingsSchema)),
  'POST /api/auth/login/alias': respondentSignIn('Sign in with survey, username and password', signedInAnswer, { body: aliasLoginSchema, also: { 503: passwordQueueFull } }),
  'POST /api/auth/login/token': respondentSignIn('Sign in with an auth token (from an auth link)', signedInAnswer, { body: tokenLoginSchema, also: { 503: passwordQueueFull } }),
  'POST /api/auth/refresh': refreshCookie('Rotate the refresh cookie and get a new access token', answer('A new access token.', accessTokenResponseSchema), {
    description: 'A refresh token presented twice ends the whole session.', fails: [401], also: { 403: crossSite },
  }),
  'POST /api/auth/logout': refreshCookie('End the session and clear the cookie', answer('Signed out.', okSchema), { also: { 403: crossSite } }),
  'GET /api/surveys/{slug}/parameters': respondent('What the survey app needs to run the survey', answer('Survey parameters.', surveyParametersSchema)),
  'GET /api/surveys/{slug}/user-info': respondent(
    'The signed-in respondent, their submissions and limits', answer('Respondent information (public custom fields only).', userInfoSchema)),
  'POST /api/surveys/{slug}/session': respondent('Start the recall, or resume the one in progress', answer('The session.', recallSessionViewSchema)),
  'PUT /api/surveys/{slug}/session': respondent('Save the recall in progress', answer('Saved.', recallSessionViewSchema), {
    body: sessionSaveSchema, also: { 413: answer('The recall state is larger than 64 KiB.') },
  }),
  'DELETE /api/surveys/{slug}/session': respondent('Cancel the recall in progress', answer('Cancelled.', sessionCancelResultSchema)),
  'POST /api/surveys/{slug}/submission': respondent('Submit the recall', answer('The submission and where to send the respondent next.', submissionResultSchema), {
    description: 'Limits and state are enforced; submitting the same session again returns the first result.',
    body: submissionRequestSchema, also: { 409: answer('The session was cancelled.') },
  }),
  'GET /api/surveys/{slug}/submissions': respondent('The respondent\'s own submissions (feedback)', answer('Submissions, newest first.', feedbackSubmissionListSchema)),
  'GET /api/openapi.json': open('This document', answer('OpenAPI 3.1.')),

  'GET /api/admin/surveys': admin('surveys:read')(
    'All surveys (secrets only as set / not set)', answer('Surveys.', adminSurveyListSchema), { fails: [401, 403, 429] }),
  'POST /api/admin/surveys': admin('surveys:write')('Create a survey', answer('Created.', adminSurveySchema), {
    body: surveyInputSchema, status: 201, fails: [401, 403, 429], also: { 409: answer('The slug is taken (ignoring case).') },
  }),
  'GET /api/admin/surveys/{slug}': admin('surveys:read')('One survey', answer('The survey.', adminSurveySchema)),
  'PATCH /api/admin/surveys/{slug}': admin('surveys:write')('Update the fields given', answer('Updated.', adminSurveySchema), { body: surveyUpdateSchema }),
  'DELETE /api/admin/surveys/{slug}': admin('surveys:write')(
    'Delete a survey (refused while it has respondents unless ?force=true)', answer('Deleted.', surveyDeletedSchema),
    { query: surveyDeleteQuerySchema, also: { 409: answer('The survey has respondents.') } },
  ),
  'GET /api/admin/surveys/{slug}/respondents': admin('respondents:read')(
    'Respondents, a page at a time', answer('A page of respondents.', adminRespondentPageSchema), { query: respondentListQuerySchema }),
  'POST /api/admin/surveys/{slug}/respondents': admin('respondents:write')('Create a respondent', answer('Created, with the auth token.', adminRespondentCreatedSchema), {
    body: adminRespondentCreateSchema, status: 201, also: { 409: answer('The username is taken in this survey (`errors.username`).') },
  }),
  'GET /api/admin/surveys/{slug}/respondents/auth-links.csv': admin('respondents:read')('Sign-in links of every respondent, as CSV', {
    description: 'The sign-in links, one respondent a row.', contentType: 'text/csv', schema: authLinksCsvSchema,
  }),
  'GET /api/admin/surveys/{slug}/respondents/{userId}': admin('respondents:read')(
    'One respondent', answer('The respondent.', adminRespondentSchema), { fails: [400, 401, 403, 404, 429] }),
  'PATCH /api/admin/surveys/{slug}/respondents/{userId}': admin('respondents:write')(
    'Update, disable or enable a respondent', answer('Updated.', adminRespondentSchema), { body: adminRespondentUpdateSchema }),
  'POST /api/admin/surveys/{slug}/respondents/{userId}/auth-token': admin('respondents:write')(
    'Rotate a respondent\'s auth token', answer('The new token.', authTokenRotatedSchema), { fails: [400, 401, 403, 404, 429] }),
  'GET /api/admin/deliveries': admin('deliveries:read')(
    'Webhook deliveries with their attempts', answer('Deliveries, newest first.', deliveryListSchema), { query: deliveryListQuerySchema }),
  'POST /api/admin/deliveries/{id}/resend': admin('deliveries:write')(
    'Send a delivery again (same webhook-id)', answer('Queued.', deliveryResendResultSchema), { status: 202 }),
  'POST /api/admin/surveys/{slug}/secrets': admin('surveys:write')(
    'Generate a new JWT secret (`genUserKey`) or webhook signing secret', answer('The new secret, shown this once.', surveySecretCreatedSchema),
    { body: surveySecretSchema, description: 'The old secret stops working at once. Audited without the secret.' },
  ),
  'POST /api/admin/surveys/{slug}/notifications/test': admin('deliveries:write')(
    'Send a signed test event to every notification target', answer('Queued through the outbox, one delivery per URL.', notificationTestSchema),
    { status: 202, fails: [400, 401, 403, 404, 429], description: 'Event type `webhook.test`; 400 (`errors.notifications`) without a target.' },
  ),
  'GET /api/admin/surveys/{slug}/completion-preview': admin('surveys:read')(
    'The completion URL the redirect scheme gives a respondent (`?username=`, default `sample`)', answer('The URL, or null.', completionPreviewSchema),
    { query: completionPreviewQuerySchema },
  ),
  'GET /api/admin/audit': admin('audit:read')('The audit log, newest first', answer('A page of entries.', auditPageSchema), {
    query: auditQuerySchema, description: 'A caller limited to some surveys sees only their entries; another survey answers 404.',
  }),

  'POST /api/admin/session': consoleOpen('Sign in to the console with e-mail and password', answer('The sign-in.', adminSessionSchema), {
    description: 'Sets the HttpOnly `rg_admin` cookie. `stage` says whether a second factor (or setting one up) comes next.',
    body: adminSignInSchema, fails: [401, 403, 429], also: { 503: passwordQueueFull },
  }),
  'GET /api/admin/session': consoleSignedIn('The console\'s sign-in, at whatever stage', answer('The sign-in.', adminSessionSchema), { fails: [401] }),
  'DELETE /api/admin/session': consoleSignedIn('Sign out of the console', answer('Signed out.', okSchema)),
  'POST /api/admin/session/second-factor': consoleSignedIn(
    'Complete a sign-in with the authenticator app\'s code or a recovery code', answer('Signed in.', adminSessionSchema),
    { body: adminSecondFactorSchema, fails: [401, 403, 429] },
  ),
  'POST /api/admin/session/totp': consoleSignedIn(
    'Start setting up two-factor sign-in (TOTP)', answer('The secret, its otpauth:// URI and QR code.', adminTotpEnrolmentSchema)),
  'POST /api/admin/session/totp/confirm': consoleSignedIn(
    'Confirm the set-up with a first code; ten recovery codes, shown once', answer('Two-factor sign-in is on.', adminRecoveryCodesSchema),
    { body: adminTotpConfirmSchema },
  ),
  'POST /api/admin/session/sign-out-everywhere': consoleSignedIn(
    'End every sign-in of the account, on every device', answer('Signed out everywhere.', okSchema)),
  'GET /api/admin/accounts': owner('Console accounts (owners only)', answer('The accounts.', adminAccountListSchema)),
  'POST /api/admin/accounts': owner('Create a console account', answer('Created, with its one-time set-password link.', adminAccountCreatedSchema), {
    body: adminAccountCreateSchema, status: 201, also: { 409: answer('An account with this e-mail address exists (`errors.email`).') },
  }),
  'PATCH /api/admin/accounts/{id}': owner('Rename, change the role or surveys of, disable or enable an account', answer('Changed.', adminAccountChangedSchema), {
    body: adminAccountUpdateSchema, fails: [401, 403, 404, 429],
    also: { 409: answer('It would leave no enabled owner.') },
  }),
  'POST /api/admin/accounts/{id}/password-link': owner(
    'A new one-time set-password link for an account', answer('The link, shown this once.', adminSetPasswordLinkSchema),
    { fails: [400, 401, 403, 404, 429] },
  ),
  'GET /api/admin/tokens': owner('Personal access tokens (owners only)', answer('The tokens, newest first.', adminTokenListSchema)),
  'POST /api/admin/tokens': owner(
    'Create a personal access token', answer('Created; `token` is shown this once.', adminTokenCreatedSchema), { body: adminTokenCreateSchema, status: 201 }),
  'DELETE /api/admin/tokens/{id}': owner('Revoke a personal access token (again: no change)', answer('Revoked.', adminTokenSchema), {
    fails: [400, 401, 403, 404, 429],
  }),
  'POST /api/admin/password': consoleOpen(
    'Set a console account\'s password from its one-time link', answer('The password is set; every sign-in of the account has ended.', okSchema),
    { body: adminPasswordLinkSchema, also: { 503: passwordQueueFull } },
  ),
}

/** Every documented endpoint, in the order of the table above. */
export const operations: Operation[] = Object.entries(operationTable).map(([endpoint, operation]) => {
  const [method, path] = endpoint.split(' ') as [string, string]
  return { method: method.toLowerCase() as Operation['method'], path, ...operation }
})

const jsonSchema = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>

const headerObjects = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]))

/** `/api/surveys/slug/create-user` → `ApiSurveysSlugCreateUser`. */
const camelCase = (path: string) => path.replace(/[^A-Za-z0-9]+(.)?/g, (_, char: string | undefined) => (char ?? '').toUpperCase())

function security(auth: Auth) {
  if (auth === 'none') return []
  if (auth === 'respondent') return [{ respondentAccessToken: [] }]
  if (auth === 'refreshCookie') return [{ refreshCookie: [] }]
  if (auth === 'adminSession') return [{ adminSession: [] }]
  return [{ personalAccessToken: [auth] }, { adminSession: [] }]
}

function operationObject(operation: Operation) {
  const pathParameters = [...operation.path.matchAll(/\{(\w+)\}/g)]
    .map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }))
  const query = operation.query ? jsonSchema(operation.query) : undefined
  const requiredInQuery = (query?.required as string[] | undefined) ?? []
  const queryParameters = Object.entries((query?.properties as Record<string, unknown> | undefined) ?? {})
    .map(([name, schema]) => ({ name, in: 'query', required: requiredInQuery.includes(name), schema }))
  const responses = Object.fromEntries(Object.entries(operation.responses).map(([status, answer]) => {
    const schema = answer.schema ? jsonSchema(answer.schema) : Number(status) >= 400 ? { $ref: '#/components/schemas/Error' } : undefined
    return [status, {
      description: answer.description,
      ...(answer.headers ? { headers: headerObjects(answer.headers) } : {}),
      ...(schema ? { content: { [answer.contentType ?? 'application/json']: { schema } } } : {}),
    }]
  }))
  return {
    operationId: operation.method + camelCase(operation.path.replace(/[{}]/g, '')),
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    tags: [operation.tag],
    security: security(operation.auth),
    parameters: [...pathParameters, ...queryParameters],
    ...(operation.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(operation.body) } } } } : {}),
    ...(operation.claims ? { 'x-jwt-claims': jsonSchema(operation.claims) } : {}),
    responses,
  }
}

let cached: Record<string, unknown> | undefined

/** The OpenAPI 3.1 document for every public, partner, respondent and admin endpoint. */
export function openApiDocument(appVersion: string): Record<string, unknown> {
  if (cached) return cached
  const paths: Record<string, Record<string, unknown>> = {}
  for (const operation of operations) (paths[operation.path] ??= {})[operation.method] = operationObject(operation)
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Respondent Gateway API',
      version: appVersion,
      description: 'Wire-compatible with Intake24 v4\'s public and integration API. Errors are `{ statusCode, message, errors? }`.',
    },
    tags: [
      { name: 'Public', description: 'No credentials.' },
      { name: 'Partner', description: 'Partner backends: a JWT signed with the survey\'s secret.' },
      { name: 'Respondent', description: 'The survey app: respondent access tokens (15 min) and the refresh cookie.' },
      { name: 'Admin', description: `Personal access tokens with scopes (${ADMIN_SCOPES.join(', ')}), or the console's sign-in.` },
      { name: 'Console', description: 'The admin console\'s sign-in (accounts, two-factor TOTP, sessions); owners manage accounts and tokens.' },
    ],
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBodySchema) },
      securitySchemes: {
        respondentAccessToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        refreshCookie: { type: 'apiKey', in: 'cookie', name: 'rg_refresh' },
        personalAccessToken: { type: 'http', scheme: 'bearer', description: 'rgpat_… from `npm run cli -- tokens:create`.' },
        adminSession: {
          type: 'apiKey', in: 'cookie', name: 'rg_admin',
          description: 'The console\'s sign-in; state-changing requests also send its CSRF token in `X-CSRF-Token`.',
        },
      },
    },
  }
  return cached
}
