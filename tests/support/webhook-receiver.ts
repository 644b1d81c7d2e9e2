import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedWebhook { path: string, headers: IncomingHttpHeaders, body: string, json: any }
export interface ScriptedAnswer { status: number, headers?: Record<string, string>, body?: string }

/**
 * A partner's webhook receiver: a real local HTTP server that records every request and answers from a
 * script (then 200). It can be stopped and started again on the same port, to play a receiver that is down.
 */
export async function startWebhookReceiver(port = 0) {
  const received: ReceivedWebhook[] = []
  const script: ScriptedAnswer[] = []
  /** Answers that stand for a path until cleared, before the script. */
  const standing = new Map<string, ScriptedAnswer>()
  let server: Server | undefined
  let boundPort = port

  async function start() {
    server = createServer(async (request, response) => {
      let body = ''
      for await (const chunk of request) body += chunk
      let json: unknown
      try {
        json = JSON.parse(body)
      }
      catch {
        json = undefined
      }
      received.push({ path: request.url ?? '', headers: request.headers, body, json })
      const answer = standing.get(request.url ?? '') ?? script.shift() ?? { status: 200 }
      response.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers })
      response.end(answer.body ?? 'ok')
    })
    await new Promise<void>(resolve => server!.listen(boundPort, '127.0.0.1', resolve))
    boundPort = (server.address() as AddressInfo).port
  }

  async function stop() {
    if (!server) return
    server.closeAllConnections()
    await new Promise(resolve => server!.close(resolve))
    server = undefined
  }

  await start()
  return {
    get origin() {
      return `http://127.0.0.1:${boundPort}`
    },
    received,
    /** Answers for the next requests, in order; afterwards 200. */
    answer: (...answers: ScriptedAnswer[]) => script.push(...answers),
    /** Every request to `path` gets `answer` (a receiver that keeps failing), until `clear(path)`. */
    always: (path: string, answer: ScriptedAnswer) => standing.set(path, answer),
    clear: (path: string) => standing.delete(path),
    start,
    stop,
  }
}

export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}
