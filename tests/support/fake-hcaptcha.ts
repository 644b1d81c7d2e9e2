import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export const PASSING_RESPONSE = 'fake-solved-captcha'
export const SLOW_RESPONSE = 'fake-slow-captcha'

export interface FakeHcaptcha {
  verifyUrl: string
  /** The form fields of every verify call received. */
  calls: Record<string, string>[]
  close: () => Promise<void>
}

async function readForm(request: IncomingMessage): Promise<Record<string, string>> {
  let body = ''
  for await (const chunk of request) body += chunk
  return Object.fromEntries(new URLSearchParams(body))
}

/**
 * A real local HTTP server answering like hCaptcha's siteverify: success for PASSING_RESPONSE, failure
 * otherwise, and no answer for a long time for SLOW_RESPONSE (the provider-timeout path).
 */
export async function startFakeHcaptcha(hostname = 'localhost'): Promise<FakeHcaptcha> {
  const calls: Record<string, string>[] = []
  const server = createServer(async (request, response) => {
    const form = await readForm(request)
    calls.push(form)
    if (form.response === SLOW_RESPONSE) await new Promise(resolve => setTimeout(resolve, 15_000))
    const success = form.response === PASSING_RESPONSE
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify(success
      ? { success: true, challenge_ts: new Date().toISOString(), hostname }
      : { 'success': false, 'error-codes': ['invalid-input-response'] }))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    verifyUrl: `http://127.0.0.1:${port}/siteverify`,
    calls,
    close: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
