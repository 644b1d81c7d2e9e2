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
  deliveryResendResultSchema,
  respondentListQuerySchema,
  surveyDeletedSchema,
  surveyDeleteQuerySchema,
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
  adminPasswordLinkSchema, adminRecoveryCodesSchema, adminSecondFactorSchema, adminSessionSchema, adminSignInSchema,
  adminTotpConfirmSchema, adminTotpEnrolmentSchema,
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
const answer = (description: string, schema?: z.ZodType): Answer => ({ description, schema })
const commonAnswers = (...codes: (keyof typeof common)[]) => Object.fromEntries(codes.map(code => [code, common[code]]))
const passwordQueueFull: Answer = {
  description: 'The server is busy hashing passwords; see `Retry-After`.',
  headers: { 'Retry-After': 'Seconds to wait.' },
}
const crossSite: Answer = { description: 'Sent from another site (a foreign `Origin` or `Sec-Fetch-Site: cross-site`).' }

const operationTable: Record<`${Uppercase<Operation['method']>} /api/${string}`, Omit<Operation, 'method' | 'path'>> = {
  'GET /api/surveys': {
    tag: 'Public', auth: 'none', summary: 'Open-access surveys, sorted by name',
    responses: { 200: answer('Public survey entries.', publicSurveyListSchema) },
  },
  'GET /api/surveys/{slug}': {
    tag: 'Public', auth: 'none', summary: 'One survey\'s public entry (slug ignoring case)',
    responses: { 200: answer('The public entry.', publicSurveyEntrySchema), 404: common[404] },
  },
  'GET /api/surveys/{slug}/availability': {
    tag: 'Public', auth: 'none', summary: 'Whether the survey takes respondents now, and if not why',
    responses: { 200: answer('Availability.', surveyAvailabilitySchema), 404: common[404] },
  },
  'POST /api/surveys/{slug}/generate-user': {
    tag: 'Public', auth: 'none', summary: 'Self-registration on an open-access survey',
    description: 'Behind the captcha when one is configured; rate limited per client address.',
    body: generateUserBodySchema,
    responses: {
      200: answer('Credentials, shown once.', generatedCredentialsSchema),
      ...commonAnswers(400, 403, 404, 429),
      503: answer('The captcha provider did not answer in time.'),
    },
  },
  'POST /api/surveys/{slug}/create-user': {
    tag: 'Partner', auth: 'none', summary: 'Create (or find) a respondent from a partner\'s signed JWT',
    description: 'Idempotent per username. The token is checked against the survey\'s secret and JWT policy '
      + '(alg, exp, nbf, iat, sub, aud, iss, jti); its payload is a JSON object of the claims in `x-jwt-claims`.',
    body: createUserBodySchema, claims: createUserClaimsSchema,
    responses: {
      200: answer('The respondent and their auth token.', createUserResponseSchema),
      ...commonAnswers(400, 403, 404),
      503: passwordQueueFull,
    },
  },
  'GET /api/auth/captcha': {
    tag: 'Public', auth: 'none', summary: 'Which captcha the pages should show',
    responses: { 200: answer('Provider and public site key.', captchaSettingsSchema) },
  },
  'POST /api/auth/login/alias': {
    tag: 'Respondent', auth: 'none', summary: 'Sign in with survey, username and password',
    body: aliasLoginSchema,
    responses: {
      200: answer('An access token (and the HttpOnly refresh cookie), or a captcha challenge.', loginResponseSchema),
      ...commonAnswers(400, 401, 403, 429),
      503: passwordQueueFull,
    },
  },
  'POST /api/auth/login/token': {
    tag: 'Respondent', auth: 'none', summary: 'Sign in with an auth token (from an auth link)',
    body: tokenLoginSchema,
    responses: {
      200: answer('An access token (and the HttpOnly refresh cookie), or a captcha challenge.', loginResponseSchema),
      ...commonAnswers(400, 401, 403, 429),
      503: passwordQueueFull,
    },
  },
  'POST /api/auth/refresh': {
    tag: 'Respondent', auth: 'refreshCookie', summary: 'Rotate the refresh cookie and get a new access token',
    description: 'A refresh token presented twice ends the whole session.',
    responses: { 200: answer('A new access token.', accessTokenResponseSchema), 401: common[401], 403: crossSite },
  },
  'POST /api/auth/logout': {
    tag: 'Respondent', auth: 'refreshCookie', summary: 'End the session and clear the cookie',
    responses: { 200: answer('Signed out.', okSchema), 403: crossSite },
  },
  'GET /api/surveys/{slug}/parameters': {
    tag: 'Respondent', auth: 'respondent', summary: 'What the survey app needs to run the survey',
    responses: { 200: answer('Survey parameters.', surveyParametersSchema), ...commonAnswers(401, 403, 404) },
  },
  'GET /api/surveys/{slug}/user-info': {
    tag: 'Respondent', auth: 'respondent', summary: 'The signed-in respondent, their submissions and limits',
    responses: { 200: answer('Respondent information (public custom fields only).', userInfoSchema), ...commonAnswers(401, 403, 404) },
  },
  'POST /api/surveys/{slug}/session': {
    tag: 'Respondent', auth: 'respondent', summary: 'Start the recall, or resume the one in progress',
    responses: { 200: answer('The session.', recallSessionViewSchema), ...commonAnswers(401, 403, 404) },
  },
  'PUT /api/surveys/{slug}/session': {
    tag: 'Respondent', auth: 'respondent', summary: 'Save the recall in progress',
    body: sessionSaveSchema,
    responses: {
      200: answer('Saved.', recallSessionViewSchema),
      ...commonAnswers(400, 401, 403, 404),
      413: answer('The recall state is larger than 64 KiB.'),
    },
  },
  'DELETE /api/surveys/{slug}/session': {
    tag: 'Respondent', auth: 'respondent', summary: 'Cancel the recall in progress',
    responses: { 200: answer('Cancelled.', sessionCancelResultSchema), ...commonAnswers(401, 403, 404) },
  },
  'POST /api/surveys/{slug}/submission': {
    tag: 'Respondent', auth: 'respondent', summary: 'Submit the recall',
    description: 'Limits and state are enforced; submitting the same session again returns the first result.',
    body: submissionRequestSchema,
    responses: {
      200: answer('The submission and where to send the respondent next.', submissionResultSchema),
      ...commonAnswers(400, 401, 403, 404),
      409: answer('The session was cancelled.'),
    },
  },
  'GET /api/surveys/{slug}/submissions': {
    tag: 'Respondent', auth: 'respondent', summary: 'The respondent\'s own submissions (feedback)',
    responses: { 200: answer('Submissions, newest first.', feedbackSubmissionListSchema), ...commonAnswers(401, 403, 404) },
  },
  'GET /api/openapi.json': {
    tag: 'Public', auth: 'none', summary: 'This document',
    responses: { 200: answer('OpenAPI 3.1.') },
  },

  'GET /api/admin/surveys': {
    tag: 'Admin', auth: 'surveys:read', summary: 'All surveys (secrets only as set / not set)',
    responses: { 200: answer('Surveys.', adminSurveyListSchema), 401: common[401], 403: common[403], 429: common[429] },
  },
  'POST /api/admin/surveys': {
    tag: 'Admin', auth: 'surveys:write', summary: 'Create a survey',
    body: surveyInputSchema,
    responses: {
      201: answer('Created.', adminSurveySchema),
      ...commonAnswers(400, 401, 403, 429),
      409: answer('The slug is taken (ignoring case).'),
    },
  },
  'GET /api/admin/surveys/{slug}': {
    tag: 'Admin', auth: 'surveys:read', summary: 'One survey',
    responses: { 200: answer('The survey.', adminSurveySchema), ...commonAnswers(401, 403, 404, 429) },
  },
  'PATCH /api/admin/surveys/{slug}': {
    tag: 'Admin', auth: 'surveys:write', summary: 'Update the fields given',
    body: surveyUpdateSchema,
    responses: { 200: answer('Updated.', adminSurveySchema), ...commonAnswers(400, 401, 403, 404, 429) },
  },
  'DELETE /api/admin/surveys/{slug}': {
    tag: 'Admin', auth: 'surveys:write', summary: 'Delete a survey (refused while it has respondents unless ?force=true)',
    query: surveyDeleteQuerySchema,
    responses: {
      200: answer('Deleted.', surveyDeletedSchema),
      ...commonAnswers(400, 401, 403, 404, 429),
      409: answer('The survey has respondents.'),
    },
  },
  'GET /api/admin/surveys/{slug}/respondents': {
    tag: 'Admin', auth: 'respondents:read', summary: 'Respondents, a page at a time',
    query: respondentListQuerySchema,
    responses: { 200: answer('A page of respondents.', adminRespondentPageSchema), ...commonAnswers(400, 401, 403, 404, 429) },
  },
  'POST /api/admin/surveys/{slug}/respondents': {
    tag: 'Admin', auth: 'respondents:write', summary: 'Create a respondent',
    body: adminRespondentCreateSchema,
    responses: {
      201: answer('Created, with the auth token.', adminRespondentCreatedSchema),
      ...commonAnswers(400, 401, 403, 404, 429),
      409: answer('The username is taken in this survey (`errors.username`).'),
    },
  },
  'GET /api/admin/surveys/{slug}/respondents/auth-links.csv': {
    tag: 'Admin', auth: 'respondents:read', summary: 'Sign-in links of every respondent, as CSV',
    responses: {
      200: { description: 'The sign-in links, one respondent a row.', contentType: 'text/csv', schema: authLinksCsvSchema },
      ...commonAnswers(401, 403, 404, 429),
    },
  },
  'GET /api/admin/surveys/{slug}/respondents/{userId}': {
    tag: 'Admin', auth: 'respondents:read', summary: 'One respondent',
    responses: { 200: answer('The respondent.', adminRespondentSchema), ...commonAnswers(401, 403, 404, 400, 429) },
  },
  'PATCH /api/admin/surveys/{slug}/respondents/{userId}': {
    tag: 'Admin', auth: 'respondents:write', summary: 'Update, disable or enable a respondent',
    body: adminRespondentUpdateSchema,
    responses: { 200: answer('Updated.', adminRespondentSchema), ...commonAnswers(400, 401, 403, 404, 429) },
  },
  'POST /api/admin/surveys/{slug}/respondents/{userId}/auth-token': {
    tag: 'Admin', auth: 'respondents:write', summary: 'Rotate a respondent\'s auth token',
    responses: { 200: answer('The new token.', authTokenRotatedSchema), ...commonAnswers(401, 403, 404, 400, 429) },
  },
  'GET /api/admin/deliveries': {
    tag: 'Admin', auth: 'deliveries:read', summary: 'Webhook deliveries with their attempts',
    query: deliveryListQuerySchema,
    responses: { 200: answer('Deliveries, newest first.', deliveryListSchema), ...commonAnswers(400, 401, 403, 404, 429) },
  },
  'POST /api/admin/deliveries/{id}/resend': {
    tag: 'Admin', auth: 'deliveries:write', summary: 'Send a delivery again (same webhook-id)',
    responses: { 202: answer('Queued.', deliveryResendResultSchema), ...commonAnswers(401, 403, 404, 429) },
  },

  'POST /api/admin/session': {
    tag: 'Console', auth: 'none', summary: 'Sign in to the console with e-mail and password',
    description: 'Sets the HttpOnly `rg_admin` cookie. `stage` says whether a second factor (or setting one up) comes next.',
    body: adminSignInSchema,
    responses: { 200: answer('The sign-in.', adminSessionSchema), ...commonAnswers(400, 401, 403, 429), 503: passwordQueueFull },
  },
  'GET /api/admin/session': {
    tag: 'Console', auth: 'adminSession', summary: 'The console\'s sign-in, at whatever stage',
    responses: { 200: answer('The sign-in.', adminSessionSchema), ...commonAnswers(401) },
  },
  'DELETE /api/admin/session': {
    tag: 'Console', auth: 'adminSession', summary: 'Sign out of the console',
    responses: { 200: answer('Signed out.', okSchema), ...commonAnswers(401, 403) },
  },
  'POST /api/admin/session/second-factor': {
    tag: 'Console', auth: 'adminSession', summary: 'Complete a sign-in with the authenticator app\'s code or a recovery code',
    body: adminSecondFactorSchema,
    responses: { 200: answer('Signed in.', adminSessionSchema), ...commonAnswers(400, 401, 403, 429) },
  },
  'POST /api/admin/session/totp': {
    tag: 'Console', auth: 'adminSession', summary: 'Start setting up two-factor sign-in (TOTP)',
    responses: { 200: answer('The secret, its otpauth:// URI and QR code.', adminTotpEnrolmentSchema), ...commonAnswers(401, 403) },
  },
  'POST /api/admin/session/totp/confirm': {
    tag: 'Console', auth: 'adminSession', summary: 'Confirm the set-up with a first code; ten recovery codes, shown once',
    body: adminTotpConfirmSchema,
    responses: { 200: answer('Two-factor sign-in is on.', adminRecoveryCodesSchema), ...commonAnswers(400, 401, 403) },
  },
  'POST /api/admin/session/sign-out-everywhere': {
    tag: 'Console', auth: 'adminSession', summary: 'End every sign-in of the account, on every device',
    responses: { 200: answer('Signed out everywhere.', okSchema), ...commonAnswers(401, 403) },
  },
  'POST /api/admin/password': {
    tag: 'Console', auth: 'none', summary: 'Set a console account\'s password from its one-time link',
    body: adminPasswordLinkSchema,
    responses: { 200: answer('The password is set; every sign-in of the account has ended.', okSchema), ...commonAnswers(400, 403), 503: passwordQueueFull },
  },
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
      { name: 'Console', description: 'The admin console\'s sign-in: accounts, two-factor (TOTP), sessions.' },
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
