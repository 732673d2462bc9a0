import type { IncomingMessage, ServerResponse } from 'node:http'
import { verifyJwt } from '../jwt.js'
import type { RealtimeServer } from './RealtimeServer.js'

const MAX_BODY_BYTES = 5_000_000

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  response.end(text)
}

function readBody(request: IncomingMessage): Promise<string> {
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
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

function bearer(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim()
  const apikey = request.headers.apikey ?? request.headers['x-api-key']
  return typeof apikey === 'string' ? apikey : undefined
}

/**
 * The broadcast REST API (`POST /api/broadcast`, `POST /api/broadcast/:topic/events/:event`), reached as
 * /realtime/v1/api/... through the gateway. Joined clients get the messages as text `broadcast` frames.
 */
export function handleBroadcastApi(server: RealtimeServer, request: IncomingMessage, response: ServerResponse, path: string): boolean {
  const single = /^\/api\/broadcast\/([^/]+)\/events\/([^/]+)$/.exec(path)
  if (path !== '/api/broadcast' && !single) return false
  if (request.method !== 'POST') {
    sendJson(response, 405, { error: 'Method not allowed' })
    return true
  }
  const token = bearer(request)
  if (!token) {
    sendJson(response, 401, { message: 'Unauthorized' })
    return true
  }
  try {
    verifyJwt(token, server.jwtSecret)
  } catch (error) {
    sendJson(response, 401, { message: error instanceof Error ? error.message : 'Unauthorized' })
    return true
  }
  if (!server.isServing) {
    sendJson(response, 503, { message: 'Realtime is restarting, please standby' })
    return true
  }
  readBody(request).then(
    (text) => {
      let body: unknown
      try {
        body = text === '' ? {} : JSON.parse(text)
      } catch {
        sendJson(response, 400, { message: 'Invalid JSON body' })
        return
      }
      if (single) {
        const topic = decodeURIComponent(single[1]!)
        const event = decodeURIComponent(single[2]!)
        server.broadcastToTopic(`realtime:${topic}`, { type: 'broadcast', event, payload: body })
        response.writeHead(202).end()
        return
      }
      const messages = body && typeof body === 'object' ? (body as { messages?: unknown }).messages : undefined
      if (!Array.isArray(messages)) {
        sendJson(response, 422, { errors: { messages: ["can't be blank"] } })
        return
      }
      const invalid = messages.findIndex(
        (message) => !message || typeof message !== 'object' || typeof (message as { topic?: unknown }).topic !== 'string' || typeof (message as { event?: unknown }).event !== 'string',
      )
      if (invalid >= 0) {
        sendJson(response, 422, { errors: { messages: [{ topic: ["can't be blank"], event: ["can't be blank"] }] } })
        return
      }
      for (const message of messages as { topic: string; event: string; payload?: unknown; private?: boolean }[]) {
        // Private messages reach only private channels, which need realtime.messages policies: not emulated.
        if (message.private === true) continue
        server.broadcastToTopic(`realtime:${message.topic}`, { type: 'broadcast', event: message.event, payload: message.payload ?? {} })
      }
      response.writeHead(202).end()
    },
    () => sendJson(response, 413, { message: 'Payload too large' }),
  )
  return true
}
