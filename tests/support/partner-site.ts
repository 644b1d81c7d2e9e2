import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface PartnerSite { origin: string, visits: string[], close: () => Promise<void> }

/** A partner's website the respondent is sent back to: a real local HTTP server that records each visit. */
export async function startPartnerSite(): Promise<PartnerSite> {
  const visits: string[] = []
  const server = createServer((request, response) => {
    visits.push(request.url ?? '')
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.end('<!doctype html><title>Partner study</title><h1>Welcome back to the partner study</h1>')
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    visits,
    close: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
