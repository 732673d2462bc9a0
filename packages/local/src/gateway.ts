import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { RealtimeServer } from './realtime/RealtimeServer.js'

/** REST fault switches; `LocalStack.faults` sets them. */
export interface RestFaults {
  /** Answer the next `count` REST requests with `status` instead of forwarding them. */
  fail?: { status: number; remaining: number; retryAfterSeconds?: number }
  /** Refuse REST requests: the connection is destroyed without a response. */
  stopped: boolean
  /** Forward the next N requests (so writes commit), then destroy the connection before the response. */
  loseResponses: number
}

export interface GatewayOptions {
  port: number
  postgrestUrl: string
  realtime: RealtimeServer
  faults: RestFaults
}

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD',
  'access-control-allow-headers':
    // x-retry-count: postgrest-js 2.100+ sends it on its own retries; a browser's preflight must allow it.
    'authorization, x-client-info, apikey, content-type, prefer, range, accept-profile, content-profile, x-supabase-api-version, x-retry-count',
  'access-control-expose-headers': 'content-range, content-location, x-supabase-api-version',
  'access-control-max-age': '3600',
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  response.writeHead(status, { ...CORS_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers })
  response.end(text)
}

function hasApiKey(request: IncomingMessage, url: URL): boolean {
  return typeof request.headers.apikey === 'string' || url.searchParams.has('apikey')
}

/**
 * The single HTTP front of the stack, as Supabase's API gateway is: `/rest/v1/*` → PostgREST,
 * `/realtime/v1/*` → the Realtime server (WebSocket and HTTP API). REST faults are applied here.
 */
export class Gateway {
  private server: Server | undefined
  /** Upgraded sockets leave the HTTP server's bookkeeping, so close() must end them itself. */
  private readonly upgraded = new Set<Duplex>()
  readonly stats = { restRequests: 0, restFailed: 0, restRefused: 0, restLost: 0 }

  constructor(private readonly options: GatewayOptions) {}

  async listen(): Promise<number> {
    const server = createServer((request, response) => this.onRequest(request, response))
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(request, socket, head))
    server.keepAliveTimeout = 5000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.options.port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.server = server
    const address = server.address()
    return typeof address === 'object' && address ? address.port : this.options.port
  }

  async close(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = undefined
    for (const socket of this.upgraded) socket.destroy()
    this.upgraded.clear()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.upgraded.add(socket)
    socket.once('close', () => this.upgraded.delete(socket))
    // Node's HTTP server drops its own error listener on upgrade: a reset before ws takes over (a refused upgrade
    // waiting out its delay) would be an uncaught ECONNRESET that ends the process hosting the stack.
    socket.on('error', () => socket.destroy())
    const path = (request.url ?? '/').split('?')[0]
    if (path === '/realtime/v1/websocket' || path === '/socket/websocket') {
      this.options.realtime.handleUpgrade(request, socket, head)
      return
    }
    socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
  }

  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://localhost')
    if (request.method === 'OPTIONS') {
      response.writeHead(204, CORS_HEADERS).end()
      return
    }
    if (url.pathname.startsWith('/rest/v1')) {
      this.onRest(request, response, url)
      return
    }
    if (url.pathname.startsWith('/realtime/v1/')) {
      if (!hasApiKey(request, url) && !request.headers.authorization) {
        sendJson(response, 401, { message: 'No API key found in request' })
        return
      }
      for (const [name, value] of Object.entries(CORS_HEADERS)) response.setHeader(name, value)
      if (this.options.realtime.handleHttp(request, response, url.pathname.slice('/realtime/v1'.length))) return
    }
    sendJson(response, 404, { message: 'no Route matched with those values' })
  }

  private onRest(request: IncomingMessage, response: ServerResponse, url: URL): void {
    this.stats.restRequests++
    const faults = this.options.faults
    if (faults.stopped) {
      this.stats.restRefused++
      request.socket.destroy()
      return
    }
    if (!hasApiKey(request, url)) {
      sendJson(response, 401, { message: 'No API key found in request' })
      return
    }
    if (faults.fail && faults.fail.remaining > 0) {
      const { status, retryAfterSeconds } = faults.fail
      if (--faults.fail.remaining === 0) faults.fail = undefined
      this.stats.restFailed++
      request.resume()
      const headers: Record<string, string> = {}
      if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds)
      sendJson(response, status, { code: 'SUPASYNC_FAULT', message: `Injected fault: HTTP ${status}`, details: null, hint: 'stack.faults.failRest' }, headers)
      return
    }
    const loseThisResponse = faults.loseResponses > 0
    if (loseThisResponse) faults.loseResponses--
    const target = new URL(this.options.postgrestUrl)
    const headers = { ...request.headers, host: target.host }
    const upstream = httpRequest(
      { hostname: target.hostname, port: target.port, method: request.method, path: url.pathname.slice('/rest/v1'.length) + url.search || '/', headers },
      (upstreamResponse) => {
        if (loseThisResponse) {
          // Let PostgREST finish (the transaction commits), then vanish before the client hears back.
          upstreamResponse.resume()
          upstreamResponse.on('end', () => {
            this.stats.restLost++
            request.socket.destroy()
          })
          return
        }
        response.writeHead(upstreamResponse.statusCode ?? 502, { ...upstreamResponse.headers, ...CORS_HEADERS })
        upstreamResponse.pipe(response)
      },
    )
    upstream.on('error', (error) => {
      if (response.headersSent) response.destroy()
      else sendJson(response, 502, { message: `PostgREST is unreachable: ${error.message}` })
    })
    request.pipe(upstream)
  }
}
