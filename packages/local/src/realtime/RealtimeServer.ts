import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import pg from 'pg'
import { WebSocketServer, type WebSocket } from 'ws'
import { JwtError, verifyJwt, type JwtClaims } from '../jwt.js'
import { ChangeStream } from './ChangeStream.js'
import type { ChannelSession } from './ChannelSession.js'
import { ClientSocket } from './ClientSocket.js'
import { defaultLimits, type RealtimeLimits } from './limits.js'
import { ConnectErrors, SystemMessages } from './messages.js'
import { PostgresChanges } from './PostgresChanges.js'
import { PresenceTracker, type PresenceDiff } from './PresenceTracker.js'
import { handleBroadcastApi } from './broadcastApi.js'
import { userBroadcastAsJson, type PhoenixMessage, type UserBroadcast, type Vsn } from './serializer.js'

export interface RealtimeServerOptions {
  /** Superuser connection string: the change stream's slot and the RLS checks use it. */
  databaseUrl: string
  /** HS256 secret that signs the anon/service_role keys and user tokens. */
  jwtSecret: string
  /** Publication whose tables emit postgres_changes. Default `supabase_realtime`. */
  publication?: string
  /** Limits and delays; defaults are the real server's. */
  limits?: Partial<RealtimeLimits>
  /** Idle poll interval of the change stream, in ms. Default 10. */
  changePollMs?: number
  /** Diagnostic log sink. Default: silent. */
  log?: (line: string) => void
}

/** Fault switches read on the hot path; the stack's `faults` API flips them. */
export interface RealtimeFaults {
  /** Sockets stay open, but nothing is answered or delivered in either direction. */
  blackholed: boolean
  /** Share (0..1) of postgres_changes deliveries silently lost. */
  dropChangesRatio: number
}

/**
 * A Supabase Realtime server for tests and local development, faithful to the wire protocol in
 * research/realtime-protocol.md: Phoenix framing (vsn 1 and 2), channels, broadcast, presence,
 * postgres_changes from logical decoding with RLS, limits and error texts, and the real loss semantics
 * (nothing is replayed after a reconnect).
 */
export class RealtimeServer {
  readonly limits: RealtimeLimits
  readonly jwtSecret: string
  readonly faults: RealtimeFaults = { blackholed: false, dropChangesRatio: 0 }
  readonly stats = { connections: 0, badFrames: 0, joins: 0, slowConsumersClosed: 0, undeliverableBroadcasts: 0 }
  /** @internal */
  readonly presence = new PresenceTracker()
  /** @internal */
  readonly sockets = new Set<ClientSocket>()
  /** topic → joined channels, for broadcast and presence fan-out. */
  private readonly topics = new Map<string, Set<ChannelSession>>()
  private readonly wss: WebSocketServer
  private readonly pool: pg.Pool
  /** @internal */
  readonly changes: PostgresChanges
  private stream: ChangeStream | undefined
  private idleSweep: ReturnType<typeof setInterval> | undefined
  private readonly pendingUpgrades = new Set<ReturnType<typeof setTimeout>>()
  private serving = false
  /** @internal */
  acceptingJoins = true

  constructor(private readonly options: RealtimeServerOptions) {
    this.limits = { ...defaultLimits, ...options.limits }
    this.jwtSecret = options.jwtSecret
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.limits.maxFrameBytes, perMessageDeflate: false })
    this.pool = new pg.Pool({ connectionString: options.databaseUrl, max: 8, idleTimeoutMillis: 5000 })
    this.pool.on('error', (error) => this.log(`pool error: ${error.message}`))
    this.changes = new PostgresChanges({
      pool: this.pool,
      publication: options.publication ?? 'supabase_realtime',
      dropRatio: () => this.faults.dropChangesRatio,
    })
  }

  /** @internal */
  log(line: string): void {
    this.options.log?.(line)
  }

  /** Starts reading changes and accepting sockets. */
  async start(): Promise<void> {
    if (this.serving) return
    const stream = new ChangeStream({
      connectionString: this.options.databaseUrl,
      publication: this.options.publication ?? 'supabase_realtime',
      idlePollMs: this.options.changePollMs ?? 10,
      onError: (error) => this.log(`change stream: ${error.message}`),
    })
    stream.onTransaction((changes) => this.changes.handleTransaction(changes))
    await stream.start()
    this.stream = stream
    this.serving = true
    this.idleSweep = setInterval(() => this.closeIdleSockets(), Math.min(1000, this.limits.idleTimeoutMs))
    this.idleSweep.unref()
  }

  /**
   * Stops serving: every socket is cut, new upgrades are refused, and the replication slot is dropped,
   * so changes committed while stopped are gone for good, as when the real server restarts.
   */
  async stop(): Promise<void> {
    this.serving = false
    if (this.idleSweep) clearInterval(this.idleSweep)
    this.idleSweep = undefined
    for (const timer of this.pendingUpgrades) clearTimeout(timer)
    this.pendingUpgrades.clear()
    this.dropConnections()
    const stream = this.stream
    this.stream = undefined
    await stream?.stop()
    await this.changes.idle()
  }

  /** Stops for good and releases the database pool. */
  async close(): Promise<void> {
    await this.stop()
    await new Promise<void>((resolve) => this.wss.close(() => resolve()))
    await this.pool.end()
  }

  get isServing(): boolean {
    return this.serving
  }

  /** Destroys every socket without a close frame, as a network failure would. */
  dropConnections(): void {
    for (const socket of [...this.sockets]) socket.close(1006, '', true)
  }

  // ---- connections ----------------------------------------------------------------------------

  /** Handles `GET /realtime/v1/websocket` (and `/socket/websocket`) upgrades from the gateway. */
  /** @internal */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.serving) {
      socket.destroy()
      return
    }
    const url = new URL(request.url ?? '/', 'http://localhost')
    const vsnParam = url.searchParams.get('vsn') ?? '1.0.0'
    const token = (request.headers['x-api-key'] as string | undefined) ?? url.searchParams.get('apikey') ?? undefined
    if (vsnParam !== '1.0.0' && vsnParam !== '2.0.0') {
      return this.refuseUpgrade(socket, 400, `Unsupported serializer version: ${vsnParam}`)
    }
    if (!token) return this.refuseUpgrade(socket, ConnectErrors.missingApiKey.status, ConnectErrors.missingApiKey.message)
    let claims: JwtClaims
    try {
      claims = verifyJwt(token, this.jwtSecret)
    } catch (error) {
      const problem = error instanceof JwtError ? error.problem : 'malformed'
      const refusal =
        problem === 'expired'
          ? ConnectErrors.expiredToken
          : problem === 'missing_claims'
            ? ConnectErrors.missingClaims
            : problem === 'signature'
              ? ConnectErrors.signature
              : ConnectErrors.malformed
      return this.refuseUpgrade(socket, refusal.status, refusal.message)
    }
    this.wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      if (!this.serving) {
        ws.terminate()
        return
      }
      const client = new ClientSocket(this, ws, vsnParam as Vsn, token, claims)
      this.sockets.add(client)
      this.stats.connections++
    })
  }

  /** Answers a refused upgrade with the server's JSON error after the connect-error delay. */
  private refuseUpgrade(socket: Duplex, status: number, message: string): void {
    const timer = setTimeout(() => {
      this.pendingUpgrades.delete(timer)
      const body = JSON.stringify({ error: message })
      const reason = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 429 ? 'Too Many Requests' : 'Bad Request'
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      )
    }, this.limits.connectErrorDelayMs)
    this.pendingUpgrades.add(timer)
    socket.once('close', () => {
      clearTimeout(timer)
      this.pendingUpgrades.delete(timer)
    })
  }

  /** @internal */
  socketClosed(socket: ClientSocket): void {
    this.sockets.delete(socket)
  }

  private closeIdleSockets(): void {
    const cutoff = Date.now() - this.limits.idleTimeoutMs
    for (const socket of [...this.sockets]) if (socket.lastInboundAt < cutoff) socket.close(1000, 'timeout')
  }

  /** HTTP API under /realtime/v1/api. Returns false when the path is not ours. */
  /** @internal */
  handleHttp(request: IncomingMessage, response: ServerResponse, path: string): boolean {
    return handleBroadcastApi(this, request, response, path)
  }

  // ---- channels -------------------------------------------------------------------------------

  /** @internal */
  channelJoined(session: ChannelSession): void {
    this.stats.joins++
    let sessions = this.topics.get(session.topic)
    if (!sessions) this.topics.set(session.topic, (sessions = new Set()))
    sessions.add(session)
    this.scheduleExpiry(session)
    if (session.config.presence.enabled) session.push('presence_state', this.presence.state(session.topic))
    if (session.config.postgresChanges.length > 0) {
      this.changes.add(session)
      this.resubscribeChanges(session)
    }
  }

  /**
   * Makes (or, after an access_token refresh, remakes) the channel's postgres_changes subscription. It runs
   * after the join reply, so changes committed in between are lost: the real server's subscribe gap.
   */
  /** @internal */
  resubscribeChanges(session: ChannelSession): void {
    if (session.config.postgresChanges.length === 0) return
    const delay = this.limits.postgresSubscribeDelayMs
    const subscribed =
      delay > 0
        ? new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() => this.changes.subscribe(session.config.postgresChanges))
        : this.changes.subscribe(session.config.postgresChanges)
    subscribed.then(
      (bindings) => {
        if (session.closed) return
        session.bindings = bindings
        session.system('postgres_changes', 'ok', SystemMessages.subscribedToPostgres)
      },
      (error: unknown) => {
        if (session.closed) return
        session.system('postgres_changes', 'error', error instanceof Error ? error.message : String(error))
      },
    )
  }

  /** @internal */
  channelClosed(session: ChannelSession): void {
    if (session.closed) return
    session.closed = true
    if (session.expiryTimer) clearTimeout(session.expiryTimer)
    session.expiryTimer = undefined
    this.changes.remove(session)
    const sessions = this.topics.get(session.topic)
    sessions?.delete(session)
    if (sessions?.size === 0) this.topics.delete(session.topic)
    const diff = this.presence.untrack(session.topic, session.id)
    if (diff) this.presenceDiff(session.topic, diff)
  }

  /** Closes the channel at token expiry with the server's system error, then phx_close. */
  /** @internal */
  scheduleExpiry(session: ChannelSession): void {
    if (session.expiryTimer) clearTimeout(session.expiryTimer)
    const delay = Math.max(0, session.claims.exp * 1000 - Date.now())
    // setTimeout overflows past ~24.8 days; such tokens simply never expire during a local run.
    if (delay > 2 ** 31 - 1) return
    session.expiryTimer = setTimeout(() => {
      session.expiryTimer = undefined
      const secondsAgo = Math.max(0, Math.floor(Date.now() / 1000) - session.claims.exp)
      this.shutdownChannel(session, SystemMessages.tokenExpired(secondsAgo))
    }, delay)
  }

  /** A server-side channel shutdown: system error message, then phx_close. The socket stays open. */
  /** @internal */
  shutdownChannel(session: ChannelSession, message: string): void {
    if (session.closed) return
    session.system('system', 'error', message)
    session.socket.closeChannel(session)
  }

  // ---- broadcast ------------------------------------------------------------------------------

  /** @internal */
  broadcastFromClient(session: ChannelSession, ref: string | null, payload: unknown, binary: UserBroadcast | undefined): void {
    const size = binary ? binary.bytes.length + binary.userEvent.length : Buffer.byteLength(JSON.stringify(payload ?? null))
    const ack = session.config.broadcast.ack
    if (size > this.limits.maxPayloadBytes) {
      if (ack) session.socket.reply({ joinRef: session.joinRef, ref, topic: session.topic }, 'error', 'payload_size_exceeded')
      return
    }
    const json = binary ? userBroadcastAsJson(binary) : normaliseBroadcast(payload)
    this.broadcastToTopic(session.topic, json, binary, session.config.broadcast.self ? undefined : session)
    if (ack) session.socket.reply({ joinRef: session.joinRef, ref, topic: session.topic }, 'ok', {})
  }

  /** Fans a broadcast out to every channel joined on the topic, except `exclude`. */
  /** @internal */
  broadcastToTopic(topic: string, json: Record<string, unknown>, binary?: UserBroadcast, exclude?: ChannelSession): number {
    let count = 0
    for (const session of this.topics.get(topic) ?? []) {
      if (session === exclude) continue
      session.socket.sendBroadcast(topic, json, binary)
      count++
    }
    return count
  }

  // ---- presence -------------------------------------------------------------------------------

  /** @internal */
  presenceCall(session: ChannelSession, message: PhoenixMessage): void {
    const body = message.payload && typeof message.payload === 'object' ? (message.payload as Record<string, unknown>) : {}
    // A presence message without "event" is not counted and gets an ok reply, as on the real server.
    if (!('event' in body)) {
      session.socket.reply(message, 'ok', {})
      return
    }
    const now = Date.now()
    const window = session.presenceWindow
    if (!window || now > window.resetAt) {
      session.presenceWindow = { count: 1, resetAt: now + this.limits.presenceWindowMs }
    } else if (window.count >= this.limits.presenceMaxCalls) {
      // No reply for the offending push: a system error, then phx_close.
      this.shutdownChannel(session, SystemMessages.clientPresenceRateLimit)
      return
    } else {
      window.count++
    }
    const event = typeof body.event === 'string' ? body.event.toLowerCase() : ''
    if (event === 'untrack') {
      session.socket.reply(message, 'ok', {})
      const diff = this.presence.untrack(session.topic, session.id)
      if (diff) this.presenceDiff(session.topic, diff)
      return
    }
    if (event !== 'track') {
      session.socket.reply(message, 'error', {})
      return
    }
    const payload = body.payload ?? {}
    if (typeof payload !== 'object' || Array.isArray(payload) || payload === null) {
      session.socket.reply(message, 'error', { reason: SystemMessages.presencePayloadNotMap })
      return
    }
    if (Buffer.byteLength(JSON.stringify(payload)) > this.limits.maxPayloadBytes) {
      this.shutdownChannel(session, SystemMessages.trackSizeExceeded)
      return
    }
    session.socket.reply(message, 'ok', {})
    const diff = this.presence.track(session.topic, session.id, session.config.presence.key, payload as Record<string, unknown>)
    if (diff) this.presenceDiff(session.topic, diff)
  }

  private presenceDiff(topic: string, diff: PresenceDiff): void {
    for (const session of this.topics.get(topic) ?? []) {
      session.socket.send({ joinRef: null, ref: null, topic, event: 'presence_diff', payload: diff })
    }
  }

  /** postgres_changes deliveries so far: sent, lost to `dropChanges`, and hidden by RLS. */
  get changeStats(): { readonly delivered: number; readonly dropped: number; readonly hidden: number } {
    return this.changes.stats
  }

  /** Resolves once every committed transaction received so far has been delivered (RLS checks included). */
  settled(): Promise<void> {
    return this.changes.idle()
  }

  /** Counts for leak checks and diagnostics. */
  snapshot(): { sockets: number; channels: number; presences: number; changeSubscribers: number } {
    let channels = 0
    for (const sessions of this.topics.values()) channels += sessions.size
    return { sockets: this.sockets.size, channels, presences: this.presence.size, changeSubscribers: this.changes.subscriberCount }
  }
}

function normaliseBroadcast(payload: unknown): Record<string, unknown> {
  const body = payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {}
  return { ...body, type: 'broadcast' }
}
