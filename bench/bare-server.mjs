// The ceiling for `npm run bench`: Node's own http server answering a small JSON body, nothing else.
// Listens on a free port on 127.0.0.1 and prints the port on stdout. bench/run.ts starts it with
// `--import bench/exit-with-parent.mjs`, like the app's server.
import { createServer } from 'node:http'

const body = JSON.stringify([{
  id: '1',
  slug: 'bench-open',
  name: 'Bench open survey',
  localeId: 'en_GB',
  originatingUrl: null,
  supportEmail: 'bench@example.org',
  openAccess: true,
  authCaptcha: false,
  authModes: ['username', 'token'],
}])
const length = String(Buffer.byteLength(body))

const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': length })
  response.end(body)
})

server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(`${typeof address === 'object' && address ? address.port : ''}\n`)
})

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0))
