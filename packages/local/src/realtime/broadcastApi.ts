import type { IncomingMessage, ServerResponse } from 'node:http'
import { verifyJwt } from '../jwt.js'
import { userBroadcastAsJson, userBroadcastFieldProblem, type UserBroadcast } from './serializer.js'
import type { RealtimeServer } from './RealtimeServer.js'

const MAX_BODY_BYTES = 5_000_000

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  response.end(text)
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(new Error('too large'))
        request.destroy()
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

/** `Authorization: Bearer` wins over the `apikey` header (plugs/auth_tenant.ex). */
function tokenOf(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization
  if (header && /^bearer /i.test(header)) return header.slice(7).trim()
  const apikey = request.headers.apikey
  return typeof apikey === 'string' ? apikey : undefined
}

const isObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value)

/**
 * The broadcast REST API (`POST /api/broadcast`, `POST /api/broadcast/:topic/events/:event`), reached as
 * /realtime/v1/api/... through the gateway. Status codes and bodies follow broadcast_controller.ex and
 * broadcast_single_controller.ex: 202 with an empty body on success.
 */
export function handleBroadcastApi(server: RealtimeServer, request: IncomingMessage, response: ServerResponse, path: string): boolean {
  const single = /^\/api\/broadcast\/([^/]+)\/events\/([^/]+)$/.exec(path)
  if (path !== '/api/broadcast' && !single) return false
  if (request.method !== 'POST') {
    sendJson(response, 404, { message: 'Not Found' })
    return true
  }
  const token = tokenOf(request)
  try {
    if (!token) throw new Error('no token')
    verifyJwt(token, server.jwtSecret)
  } catch {
    sendJson(response, 401, { message: 'Unauthorized' })
    return true
  }
  if (!server.isServing) {
    sendJson(response, 503, { message: 'Realtime is restarting, please standby' })
    return true
  }
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (single && contentType !== '' && contentType !== 'application/json' && contentType !== 'application/octet-stream') {
    sendJson(response, 415, { error: 'Unsupported Media Type. Use application/json or application/octet-stream' })
    return true
  }
  readBody(request).then(
    (raw) => {
      if (single) return handleSingle(server, response, decodeURIComponent(single[1]!), decodeURIComponent(single[2]!), raw, contentType)
      handleBatch(server, response, raw, contentType)
    },
    () => sendJson(response, 413, { message: 'Payload too large' }),
  )
  return true
}

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: raw.length === 0 ? {} : JSON.parse(raw.toString('utf8')) }
  } catch {
    return { ok: false }
  }
}

/** The single endpoint builds a user broadcast: vsn 2 receivers get a binary kind-4 frame. */
function handleSingle(server: RealtimeServer, response: ServerResponse, topic: string, event: string, raw: Buffer, contentType: string): void {
  // The real server answers 202 and loses the message (its V2 serializer raises); here a 422 says why.
  const problem = userBroadcastFieldProblem(`realtime:${topic}`, event)
  if (problem) {
    sendJson(response, 422, { error: `Cannot broadcast: ${problem}. Use an event name of at most 255 bytes and a topic of at most 246 bytes (255 with its "realtime:" prefix).` })
    return
  }
  let broadcast: UserBroadcast
  if (contentType === 'application/octet-stream') {
    broadcast = { userEvent: event, encoding: 'binary', bytes: raw, metadata: null }
  } else {
    const parsed = parseJson(raw)
    if (!parsed.ok) {
      sendJson(response, 400, 'Bad Request')
      return
    }
    // Plug's JSON parser wraps a non-object body as {"_json": value}.
    const payload = isObject(parsed.value) ? parsed.value : { _json: parsed.value }
    broadcast = { userEvent: event, encoding: 'json', bytes: Buffer.from(JSON.stringify(payload)), metadata: null }
  }
  if (broadcast.bytes.length > server.limits.maxPayloadBytes) {
    sendJson(response, 422, { errors: { payload: ['Payload size exceeds tenant limit'] } })
    return
  }
  server.broadcastToTopic(`realtime:${topic}`, userBroadcastAsJson(broadcast), broadcast)
  response.writeHead(202).end()
}

function handleBatch(server: RealtimeServer, response: ServerResponse, raw: Buffer, contentType: string): void {
  // A body without a JSON content type is not parsed, so it is blank.
  const parsed = contentType === 'application/json' ? parseJson(raw) : { ok: true as const, value: {} }
  if (!parsed.ok) {
    sendJson(response, 400, 'Bad Request')
    return
  }
  const messages = isObject(parsed.value) ? parsed.value.messages : undefined
  if (!Array.isArray(messages) || messages.length === 0) {
    sendJson(response, 422, { errors: { messages: ["can't be blank"] } })
    return
  }
  const errors = messages.map((message) => {
    const problems: Record<string, string[]> = {}
    if (!isObject(message)) return { messages: ['is invalid'] }
    for (const field of ['topic', 'event'] as const) {
      if (message[field] === undefined || message[field] === '') problems[field] = ["can't be blank"]
      else if (typeof message[field] !== 'string') problems[field] = ['is invalid']
    }
    if (message.payload === undefined) problems.payload = ["can't be blank"]
    else if (!isObject(message.payload)) problems.payload = ['is invalid']
    else if (Buffer.byteLength(JSON.stringify(message.payload)) > server.limits.maxPayloadBytes) problems.payload = ['Payload size exceeds tenant limit']
    return problems
  })
  if (errors.some((problems) => Object.keys(problems).length > 0)) {
    sendJson(response, 422, { errors: { messages: errors } })
    return
  }
  for (const message of messages as { topic: string; event: string; payload: Record<string, unknown>; private?: unknown }[]) {
    // Private messages need realtime.messages write policies, which this emulator does not model: skipped with 202, as unauthorised ones are.
    if (message.private === true) continue
    server.broadcastToTopic(`realtime:${message.topic}`, { event: message.event, payload: message.payload, type: 'broadcast' })
  }
  response.writeHead(202).end()
}
