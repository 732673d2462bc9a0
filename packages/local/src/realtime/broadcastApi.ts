import type { IncomingMessage, ServerResponse } from 'node:http'
import { verifyJwt, type JwtClaims } from '../jwt.js'
import { AuthorizationError, type AuthorizationContext, type PolicyExtension } from './Authorization.js'
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

/** Ecto's boolean cast: true/false, "true"/"false", "1"/"0" (and 1/0); anything else is invalid. */
function castBoolean(value: unknown): boolean | 'invalid' {
  if (value === true || value === 'true' || value === '1' || value === 1) return true
  if (value === false || value === 'false' || value === '0' || value === 0) return false
  return 'invalid'
}

const isObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value)

/**
 * The broadcast REST API (`POST /api/broadcast`, `POST /api/broadcast/:topic/events/:event`), reached as
 * /realtime/v1/api/... through the gateway. Status codes and bodies follow broadcast_controller.ex and
 * broadcast_single_controller.ex: 202 with an empty body on success.
 */
export function handleBroadcastApi(server: RealtimeServer, request: IncomingMessage, response: ServerResponse, path: string): boolean {
  const query = new URL(request.url ?? '/', 'http://localhost').searchParams
  const single = /^\/api\/broadcast\/([^/]+)\/events\/([^/]+)$/.exec(path)
  if (path !== '/api/broadcast' && !single) return false
  let names: [string, string] | undefined
  try {
    if (single) names = [decodeURIComponent(single[1]!), decodeURIComponent(single[2]!)]
  } catch {
    // A malformed percent-escape: Plug refuses the request before any controller runs.
    sendJson(response, 400, { message: 'Bad Request' })
    return true
  }
  if (request.method !== 'POST') {
    sendJson(response, 404, { message: 'Not Found' })
    return true
  }
  const token = tokenOf(request)
  let claims: JwtClaims
  try {
    if (!token) throw new Error('no token')
    claims = verifyJwt(token, server.jwtSecret)
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
  // Policies see every request header as request.headers, the role and claims of the token (auth_tenant.ex).
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[name] = value
  const caller = { claims, headers }
  readBody(request).then(
    (raw) => {
      const work = names
        ? handleSingle(server, response, names[0], names[1], raw, contentType, query, caller)
        : handleBatch(server, response, raw, contentType, caller)
      return work.catch((error: unknown) => {
        server.log(`broadcast API: ${error instanceof Error ? error.stack : String(error)}`)
        if (!response.headersSent) sendJson(response, 500, { message: 'Unable to authorize broadcast' })
      })
    },
    () => sendJson(response, 413, { message: 'Payload too large' }),
  )
  return true
}

interface Caller {
  claims: JwtClaims
  headers: Record<string, string>
}

const contextFor = (caller: Caller, subTopic: string): AuthorizationContext => ({
  subTopic,
  role: caller.claims.role,
  claims: caller.claims,
  headers: caller.headers,
})

/** The single endpoint's answers to a failed policy check (broadcast_single_controller.ex). */
function authorizationFailure(error: AuthorizationError): { status: number; message: string } {
  if (error.kind === 'missing_partition') return { status: 422, message: 'Missing messages partition' }
  if (error.kind === 'rls_policy_error') return { status: 422, message: 'RLS policy error' }
  return { status: 422, message: 'Tenant database unavailable' }
}

/** `persist=true` or `persist[ttl]=<seconds>` (realtime-js 2.119 httpSend). The ttl is accepted; retention is the table's. */
const persistRequested = (query: URLSearchParams) => query.get('persist') === 'true' || query.has('persist[ttl]')

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: raw.length === 0 ? {} : JSON.parse(raw.toString('utf8')) }
  } catch {
    return { ok: false }
  }
}

/** The single endpoint builds a user broadcast: vsn 2 receivers get a binary kind-4 frame. */
async function handleSingle(
  server: RealtimeServer,
  response: ServerResponse,
  topic: string,
  event: string,
  raw: Buffer,
  contentType: string,
  query: URLSearchParams,
  caller: Caller,
): Promise<void> {
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
  // Plug keeps the last of repeated query parameters.
  const privateParam = query.getAll('private').at(-1)
  const isPrivate = privateParam !== undefined && privateParam.toLowerCase() === 'true'
  const persist = persistRequested(query)
  if (persist && !isPrivate) {
    sendJson(response, 422, { errors: { persist: ['can only be used on private channels'] } })
    return
  }
  let mayPersist = false
  if (isPrivate) {
    // Private: the caller's INSERT policies on realtime.messages for this topic decide; no access is 403.
    const wanted: PolicyExtension[] = persist ? ['broadcast', 'presence', 'persistence'] : ['broadcast', 'presence']
    let write: Awaited<ReturnType<typeof server.authorization.write>>
    try {
      write = await server.authorization.write(contextFor(caller, topic), wanted)
    } catch (error) {
      if (!(error instanceof AuthorizationError)) throw error
      const failure = authorizationFailure(error)
      sendJson(response, failure.status, { message: failure.message })
      return
    }
    if (!write.broadcast) {
      sendJson(response, 403, { message: 'Unauthorized' })
      return
    }
    mayPersist = persist && write.persistence === true
  }
  server.restBroadcast(topic, isPrivate, userBroadcastAsJson(broadcast), broadcast)
  if (mayPersist) {
    // Stored after delivery, still answered 202 when storing fails (the real endpoint persists asynchronously).
    await server.storeMessage(topic, broadcast).catch((error: unknown) => server.log(`persist on ${topic}: ${String(error)}`))
  }
  response.writeHead(202).end()
}

async function handleBatch(server: RealtimeServer, response: ServerResponse, raw: Buffer, contentType: string, caller: Caller): Promise<void> {
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
    if (message.private !== undefined && message.private !== null && castBoolean(message.private) === 'invalid') problems.private = ['is invalid']
    else if (Buffer.byteLength(JSON.stringify(message.payload)) > server.limits.maxPayloadBytes) problems.payload = ['Payload size exceeds tenant limit']
    return problems
  })
  if (errors.some((problems) => Object.keys(problems).length > 0)) {
    sendJson(response, 422, { errors: { messages: errors } })
    return
  }
  const valid = messages as { topic: string; event: string; payload: Record<string, unknown>; private?: unknown; id?: unknown }[]
  // Private messages: one write check per topic; the messages of a topic the caller may not write to are skipped,
  // and the answer is still 202 (batch_broadcast.ex; broadcast_controller_test "user without permission won't broadcast").
  const allowed = new Map<string, boolean>()
  for (const topic of new Set(valid.filter((message) => castBoolean(message.private) === true).map((message) => message.topic))) {
    try {
      allowed.set(topic, (await server.authorization.write(contextFor(caller, topic), ['broadcast', 'presence'])).broadcast === true)
    } catch (error) {
      if (!(error instanceof AuthorizationError)) throw error
      server.log(`broadcast API write check on ${topic}: ${error.kind}: ${error.message}`)
      allowed.set(topic, false)
    }
  }
  for (const message of valid) {
    const isPrivate = castBoolean(message.private) === true
    if (isPrivate && !allowed.get(message.topic)) continue
    const json: Record<string, unknown> = { payload: message.payload, event: message.event, type: 'broadcast' }
    if (typeof message.id === 'string') json.meta = { id: message.id }
    server.restBroadcast(message.topic, isPrivate, json)
  }
  response.writeHead(202).end()
}
