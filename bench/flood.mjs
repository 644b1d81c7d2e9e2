// The flood for the "sign-in during a flood" scenario, in a process of its own (an attacker's load does
// not share the measuring process's event loop): FLOOD_IN_FLIGHT bogus password sign-ins always in flight
// against FLOOD_BASE, from FLOOD_ADDRESSES client addresses (X-Forwarded-For), a third each for a survey that
// does not exist, for usernames that do not exist, and for the real FLOOD_USERS with wrong passwords.
// Prints "ready" once the first answers are in; on SIGTERM, or when stdin closes, prints the counts as JSON.
import { Agent, request } from 'node:http'

const base = new URL(process.env.FLOOD_BASE)
const inFlight = Number(process.env.FLOOD_IN_FLIGHT)
const addresses = Number(process.env.FLOOD_ADDRESSES)
const users = process.env.FLOOD_USERS.split(',')
const agent = new Agent({ keepAlive: true, maxSockets: inFlight })
const statuses = {}
let sent = 0
let stopping = false
let ready = false

function post(body, address) {
  return new Promise((done) => {
    const outgoing = request({
      agent, host: base.hostname, port: base.port, path: '/api/auth/login/alias', method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-forwarded-for': address },
    }, (response) => {
      response.resume()
      response.on('end', () => done(response.statusCode))
      response.on('error', () => done(0))
    })
    outgoing.on('error', () => done(0))
    outgoing.end(body)
  })
}

function body(i) {
  const user = users[i % users.length]
  const kind = i % 3
  if (kind === 0) return JSON.stringify({ survey: 'no-such-survey', username: user, password: `Wrong-password-${i}` })
  return JSON.stringify({ survey: 'bench-partner', username: kind === 1 ? `nobody-${i}` : user, password: `Wrong-password-${i}` })
}

async function loop(lane) {
  while (!stopping) {
    const i = sent++
    const status = await post(body(i), `203.0.113.${(lane % addresses) + 1}`)
    statuses[status] = (statuses[status] ?? 0) + 1
    if (!ready && sent >= inFlight) {
      ready = true
      process.stdout.write('ready\n')
    }
  }
}

const loops = Array.from({ length: inFlight }, (_, lane) => loop(lane))
const finish = async () => {
  if (stopping) return
  stopping = true
  await Promise.all(loops)
  process.stdout.write(`${JSON.stringify({ sent, statuses })}\n`)
  process.exit(0)
}
process.on('SIGTERM', finish)
process.stdin.on('end', finish)
process.stdin.resume()
