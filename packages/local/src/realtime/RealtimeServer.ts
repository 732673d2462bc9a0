import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import pg from 'pg'
import { WebSocketServer, type WebSocket } from 'ws'
import { JwtError, verifyJwt, type JwtClaims } from '../jwt.js'
import { Authorization, AuthorizationError } from './Authorization.js'
import { ChangeStream, type DecodedChange } from './ChangeStream.js'
import { channelKey, type ChannelSession } from './ChannelSession.js'
import { ClientSocket } from './ClientSocket.js'
import { defaultLimits, type RealtimeLimits } from './limits.js'
import { ConnectErrors, SystemMessages } from './messages.js'
import { PostgresChanges } from './PostgresChanges.js'
import { PresenceTracker, type PresenceDiff } from './PresenceTracker.js'
import { handleBroadcastApi } from './broadcastApi.js'
import { maintainMessagePartitions } from './messagesPartitions.js'
import { userBroadcastAsJson, type PhoenixMessage, type UserBroadcast, type Vsn } from './serializer.js'

/** A broadcast stored in realtime.messages, as replay reads it. */
export interface StoredMessage {
  id: string
  event: string
  /** JSON payload, or undefined for a binary one. */
  payload: unknown
  binary: Buffer | undefined
}

const POOL_NAME = 'supasync_realtime'
const AUTHORIZATION_POOL_NAME = 'supasync_realtime_authorization'

/** The publication the real replication connection creates for Broadcast from Database. */
export const MESSAGES_PUBLICATION = 'supabase_realtime_messages_publication'
/** How often partitions are created ahead and expired (the real janitor runs every 4 h; an hour is plenty). */
const JANITOR_INTERVAL_MS = 3_600_000
/** replication_ready: checked every 500 ms for up to a minute (realtime_channel.ex, config.exs). */
const REPLICATION_READY_CHECK_MS = 500
const REPLICATION_READY_TIMEOUT_MS = 60_000

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
  /** Share (0..1) of postgres_changes and database broadcast deliveries silently lost. */
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
  readonly stats = {
    connections: 0,
    badFrames: 0,
    joins: 0,
    databaseBroadcasts: 0,
    databaseBroadcastsDropped: 0,
    slowConsumersClosed: 0,
    undeliverableBroadcasts: 0,
  }
  /** @internal */
  readonly presence = new PresenceTracker()
  /** @internal */
  readonly sockets = new Set<ClientSocket>()
  /** channelKey(topic, private) → joined channels, for broadcast and presence fan-out. */
  private readonly topics = new Map<string, Set<ChannelSession>>()
  /** @internal The app's policies on realtime.messages, for private channels and private REST broadcasts. */
  readonly authorization: Authorization
  private janitor: ReturnType<typeof setInterval> | undefined
  /** realtime.messages exists (the stack's realtime schema was loaded), so database broadcasts are streamed. */
  private messagesTable = false
  private readonly wss: WebSocketServer
  private readonly pool: pg.Pool
  private readonly authorizationPool: pg.Pool
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
    this.pool = new pg.Pool({ connectionString: options.databaseUrl, max: 8, idleTimeoutMillis: 5000, application_name: POOL_NAME })
    this.pool.on('error', (error) => this.log(`pool error: ${error.message}`))
    // Policy checks get their own connections and the real server's query timeout (Postgrex: 15 s), so slow or
    // blocked policies of some users can never take the connections that postgres_changes delivery needs.
    this.authorizationPool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: 8,
      idleTimeoutMillis: 5000,
      application_name: AUTHORIZATION_POOL_NAME,
      statement_timeout: 15_000,
    })
    this.authorizationPool.on('error', (error) => this.log(`authorization pool error: ${error.message}`))
    this.authorization = new Authorization(this.authorizationPool)
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
    this.messagesTable = await this.prepareMessages()
    const publication = this.options.publication ?? 'supabase_realtime'
    const stream = new ChangeStream({
      connectionString: this.options.databaseUrl,
      // One slot for both: postgres_changes and Broadcast from Database (the real server uses two connections).
      publication: this.messagesTable ? [publication, MESSAGES_PUBLICATION] : publication,
      idlePollMs: this.options.changePollMs ?? 10,
      onError: (error) => this.log(`change stream: ${error.message}`),
    })
    stream.onTransaction((changes) => this.onTransaction(changes))
    await stream.start()
    this.stream = stream
    this.serving = true
    this.idleSweep = setInterval(() => this.closeIdleSockets(), Math.min(1000, this.limits.idleTimeoutMs))
    this.idleSweep.unref()
    if (this.messagesTable) {
      this.janitor = setInterval(() => {
        maintainMessagePartitions(this.pool).catch((error: unknown) => this.log(`messages partitions: ${String(error)}`))
      }, JANITOR_INTERVAL_MS)
      this.janitor.unref()
    }
  }

  /**
   * Creates today's partitions of realtime.messages and the messages publication, as the real server does at
   * tenant connect (connect.ex, replication_connection.ex). False when the realtime schema is not loaded.
   */
  private async prepareMessages(): Promise<boolean> {
    const { rows } = await this.pool.query<{ present: boolean }>("select to_regclass('realtime.messages') is not null as present")
    if (!rows[0]?.present) return false
    await maintainMessagePartitions(this.pool)
    const publication = await this.pool.query<{ tablename: string; schemaname: string }>(
      'select schemaname, tablename from pg_publication_tables where pubname = $1',
      [MESSAGES_PUBLICATION],
    )
    const exists = (await this.pool.query('select 1 from pg_publication where pubname = $1', [MESSAGES_PUBLICATION])).rowCount! > 0
    const valid = publication.rows.every((row) => row.schemaname === 'realtime' && row.tablename.startsWith('messages'))
    if (exists && valid) return true
    if (exists) await this.pool.query(`drop publication if exists ${MESSAGES_PUBLICATION}`)
    await this.pool.query(`create publication ${MESSAGES_PUBLICATION} for table realtime.messages`)
    return true
  }

  /** Routes one committed transaction: rows of realtime.messages are database broadcasts, the rest postgres_changes. */
  private onTransaction(changes: DecodedChange[]): void {
    if (!this.messagesTable) {
      this.changes.handleTransaction(changes)
      return
    }
    let tableChanges: DecodedChange[] | undefined
    for (const change of changes) {
      if (change.schema === 'realtime' && change.table.startsWith('messages')) {
        if (change.type === 'INSERT') this.databaseBroadcast(change)
      } else {
        ;(tableChanges ??= []).push(change)
      }
    }
    if (tableChanges) this.changes.handleTransaction(tableChanges)
  }

  /**
   * Stops serving: every socket is cut, new upgrades are refused, and the replication slot is dropped,
   * so changes committed while stopped are gone for good, as when the real server restarts.
   */
  async stop(): Promise<void> {
    this.serving = false
    if (this.idleSweep) clearInterval(this.idleSweep)
    this.idleSweep = undefined
    if (this.janitor) clearInterval(this.janitor)
    this.janitor = undefined
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
    // pool.end() waits for checked-out connections: cancel what still runs (a policy waiting on a lock, say).
    await this.cancelOwnQueries()
    await Promise.all([this.pool.end(), this.authorizationPool.end()])
  }

  /** Cancels the statements this server's pools are running, from a connection of its own. */
  private async cancelOwnQueries(): Promise<void> {
    if (this.pool.totalCount === this.pool.idleCount && this.authorizationPool.totalCount === this.authorizationPool.idleCount) return
    const client = new pg.Client({ connectionString: this.options.databaseUrl })
    client.on('error', () => undefined)
    try {
      await client.connect()
      await client.query(
        "select pg_cancel_backend(pid) from pg_stat_activity where application_name = any($1::text[]) and state <> 'idle' and pid <> pg_backend_pid()",
        [[POOL_NAME, AUTHORIZATION_POOL_NAME]],
      )
    } catch (error) {
      this.log(`cancelling queries at close: ${error instanceof Error ? error.message : String(error)}`)
    } finally {
      await client.end().catch(() => undefined)
    }
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
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(request.headers)) {
        if (name.startsWith('x-') && typeof value === 'string') headers[name] = value
      }
      const client = new ClientSocket(this, ws, vsnParam as Vsn, token, claims, headers)
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
  channelJoined(session: ChannelSession, replayed: StoredMessage[] = []): void {
    this.stats.joins++
    let sessions = this.topics.get(session.key)
    if (!sessions) this.topics.set(session.key, (sessions = new Set()))
    sessions.add(session)
    this.scheduleExpiry(session)
    if (session.config.presence.enabled && session.readsPresence) session.push('presence_state', this.presence.state(session.key))
    if (session.config.postgresChanges.length > 0) {
      this.changes.add(session)
      this.resubscribeChanges(session)
    }
    if (replayed.length > 0) this.replay(session, replayed)
    if (session.config.broadcast.replicationReady) this.notifyReplicationReady(session, Date.now() + REPLICATION_READY_TIMEOUT_MS)
  }

  /** Sends stored messages after the join reply, oldest first, marked `replayed` (realtime_channel.ex replay/3). */
  private replay(session: ChannelSession, messages: StoredMessage[]): void {
    session.replayedIds = new Set(messages.map((message) => message.id))
    for (const message of messages) {
      const meta = { id: message.id, replayed: true }
      if (message.binary) {
        // Binary rows go to vsn 2 sockets as kind-4 frames; vsn 1 cannot carry them.
        if (session.socket.vsn === '2.0.0') {
          session.socket.sendBroadcast(session.topic, {}, { userEvent: message.event, encoding: 'binary', bytes: message.binary, metadata: meta })
        }
        continue
      }
      session.push('broadcast', { payload: message.payload, event: message.event, type: 'broadcast', meta })
    }
  }

  /** The opt-in `broadcast.replication_ready` system message, once the database stream is connected. */
  private notifyReplicationReady(session: ChannelSession, deadline: number): void {
    session.replicationTimer = undefined
    if (session.closed) return
    if (this.stream?.isConnected) {
      session.system('system', 'ok', SystemMessages.replicationReady)
      return
    }
    if (Date.now() >= deadline) {
      this.shutdownChannel(session, SystemMessages.replicationNotReady)
      return
    }
    session.replicationTimer = setTimeout(() => this.notifyReplicationReady(session, deadline), REPLICATION_READY_CHECK_MS)
  }

  /**
   * The newest `limit` private broadcasts of a topic stored since `since` (Unix ms), oldest first
   * (lib/realtime/messages.ex messages/5: `inserted_at >= since`, before now + 1 minute, newest `limit`, reversed).
   */
  /** @internal */
  async storedMessages(subTopic: string, since: number, limit: number): Promise<StoredMessage[]> {
    const { rows } = await this.pool.query<{ id: string; event: string | null; payload: unknown; binary_payload: Buffer | null }>(
      `select id, event, payload, binary_payload from realtime.messages
        where topic = $1 and private is true and extension = 'broadcast'
          and inserted_at >= (to_timestamp($2::float8 / 1000) at time zone 'UTC')
          and inserted_at < (now() at time zone 'UTC') + interval '1 minute'
        order by inserted_at desc limit $3`,
      [subTopic, since, limit],
    )
    return rows.reverse().map((row) => ({
      id: row.id,
      event: row.event ?? '',
      payload: row.payload ?? undefined,
      binary: row.binary_payload ?? undefined,
    }))
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
        ? new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() => this.changes.subscribe(session.config.postgresChanges, session.role))
        : this.changes.subscribe(session.config.postgresChanges, session.role)
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
    if (session.replicationTimer) clearTimeout(session.replicationTimer)
    session.replicationTimer = undefined
    this.changes.remove(session)
    const sessions = this.topics.get(session.key)
    sessions?.delete(session)
    if (sessions?.size === 0) this.topics.delete(session.key)
    const diff = this.presence.untrack(session.key, session.id)
    if (diff) this.presenceDiff(session.key, diff)
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

  /**
   * A broadcast pushed by a client. On a private channel the app's INSERT policies decide, checked on the first send
   * and cached until the next access_token; a refused broadcast is dropped without a reply, even with ack
   * (broadcast_handler.ex). Returns a promise only while a policy check runs.
   */
  /** @internal */
  broadcastFromClient(
    session: ChannelSession,
    ref: string | null,
    payload: unknown,
    binary: UserBroadcast | undefined,
    clientMetadata: Record<string, unknown> | null = null,
  ): Promise<void> | undefined {
    const policies = session.policies
    // realtime-js 2.119 puts `persist` (true or {ttl}) in the kind-3 metadata; it is the only client key read.
    const requested = clientMetadata?.persist
    const persist = session.isPrivate && binary !== undefined && requested !== undefined && requested !== null && requested !== false
    if (policies && (policies.broadcastWrite === undefined || (persist && policies.persist === undefined))) {
      return (async () => {
        try {
          const wanted: ('broadcast' | 'presence' | 'persistence')[] = []
          if (policies.broadcastWrite === undefined) wanted.push('broadcast', 'presence')
          if (persist && policies.persist === undefined) wanted.push('persistence')
          const write = await this.authorization.write(session.authorizationContext(), wanted)
          if (write.broadcast !== undefined) policies.broadcastWrite = write.broadcast
          if (write.presence !== undefined) policies.presenceWrite = write.presence
          if (write.persistence !== undefined) policies.persist = write.persistence
        } catch (error) {
          // A database error drops the message, as the real handler does ({:noreply, socket} after logging).
          if (!(error instanceof AuthorizationError)) throw error
          this.log(`write check on ${session.topic}: ${error.kind}: ${error.message}`)
          return
        }
        if (!session.closed) await this.sendFromClient(session, ref, payload, binary, persist)
      })()
    }
    if (policies && !policies.broadcastWrite) return undefined
    if (persist) return this.sendFromClient(session, ref, payload, binary, persist)
    this.sendFromClient(session, ref, payload, binary, false).catch((error: unknown) => {
      this.stats.badFrames++
      this.log(`error handling a broadcast: ${error instanceof Error ? error.stack : String(error)}`)
    })
    return undefined
  }

  private async sendFromClient(
    session: ChannelSession,
    ref: string | null,
    payload: unknown,
    binary: UserBroadcast | undefined,
    persist: boolean,
  ): Promise<void> {
    if (session.policies && !session.policies.broadcastWrite) return
    const size = binary ? binary.bytes.length + binary.userEvent.length : jsonSize(payload ?? null)
    const ack = session.config.broadcast.ack
    const address = { joinRef: session.joinRef, ref, topic: session.topic }
    if (size > this.limits.maxPayloadBytes) {
      if (ack) session.socket.reply(address, 'error', 'payload_size_exceeded')
      return
    }
    if (persist && !session.policies?.persist) {
      if (ack) session.socket.reply(address, 'error', { error: SystemMessages.persistUnauthorized(session.subTopic) })
      return
    }
    // Client metadata never reaches receivers: the decoder keeps it apart, and the server sets only its own (ids, replayed).
    const json = binary ? userBroadcastAsJson(binary) : normaliseBroadcast(payload)
    this.broadcastToTopic(session.key, session.topic, json, binary, session.config.broadcast.self ? undefined : session)
    let id: string | undefined
    if (persist && binary) {
      try {
        id = await this.storeMessage(session.subTopic, binary)
      } catch (error) {
        this.log(`persist on ${session.topic}: ${error instanceof Error ? error.message : String(error)}`)
        if (ack) session.socket.reply(address, 'error', { error: 'Realtime was unable to store the message' })
        return
      }
    }
    if (ack && !session.closed) session.socket.reply(address, 'ok', id ? { id } : {})
  }

  /**
   * Stores a broadcast for replay: private, already delivered (skip_broadcast), inserted by the server itself so
   * no policy but `persistence` applies (Realtime.Messages.persist/5 in realtime PR #2022).
   */
  /** @internal */
  async storeMessage(subTopic: string, broadcast: UserBroadcast): Promise<string> {
    const json = broadcast.encoding === 'json'
    const { rows } = await this.pool.query<{ id: string }>(
      `insert into realtime.messages (topic, extension, event, private, skip_broadcast, payload, binary_payload)
       values ($1, 'broadcast', $2, true, true, $3::jsonb, $4) returning id`,
      [subTopic, broadcast.userEvent, json ? broadcast.bytes.toString('utf8') : null, json ? null : broadcast.bytes],
    )
    return rows[0]!.id
  }

  /**
   * Fans a broadcast out to every channel joined on the topic with that privacy, except `exclude`. Private
   * channels without broadcast read access get nothing; a message a channel already got by replay is skipped.
   */
  /** @internal */
  broadcastToTopic(
    key: string,
    topic: string,
    json: Record<string, unknown>,
    binary?: UserBroadcast,
    exclude?: ChannelSession,
    options: { id?: string; droppable?: boolean } = {},
  ): number {
    let count = 0
    for (const session of this.topics.get(key) ?? []) {
      if (session === exclude || !session.readsBroadcast) continue
      if (options.id !== undefined && session.replayedIds?.has(options.id)) continue
      if (options.droppable) {
        const ratio = this.faults.dropChangesRatio
        if (ratio > 0 && Math.random() < ratio) {
          this.stats.databaseBroadcastsDropped++
          continue
        }
      }
      session.socket.sendBroadcast(topic, json, binary)
      count++
    }
    return count
  }

  /** Key of a topic's channels for REST and database broadcasts. */
  /** @internal */
  static key(subTopic: string, isPrivate: boolean): string {
    return channelKey(`realtime:${subTopic}`, isPrivate)
  }

  /**
   * Broadcast from Database: a row inserted into realtime.messages (by realtime.send, broadcast_changes or
   * directly) goes to the subscribers of its topic, private or public by its `private` column, with `meta.id`
   * (replication_connection.ex handle_message for Insert).
   */
  private databaseBroadcast(change: DecodedChange): void {
    const row = change.record
    if (!row || row.skip_broadcast === true) return
    const { topic, event, id } = row
    const isPrivate = row.private
    // The real handler needs these non-null; rows without them are dropped.
    if (typeof topic !== 'string' || typeof event !== 'string' || typeof id !== 'string' || typeof isPrivate !== 'boolean' || row.inserted_at == null) return
    let broadcast: UserBroadcast
    let payload: unknown
    if (typeof row.binary_payload === 'string') {
      broadcast = { userEvent: event, encoding: 'binary', bytes: Buffer.from(row.binary_payload.replace(/^\\x/, ''), 'hex'), metadata: { id } }
      payload = null
    } else if (row.payload !== null && row.payload !== undefined) {
      payload = row.payload
      broadcast = { userEvent: event, encoding: 'json', bytes: Buffer.from(JSON.stringify(payload)), metadata: { id } }
    } else {
      return
    }
    if (broadcast.bytes.length > this.limits.maxPayloadBytes) {
      this.log(`UnableToBroadcastChanges: payload of message ${id} exceeds the payload limit`)
      return
    }
    this.stats.databaseBroadcasts++
    const json = { event, payload, type: 'broadcast', meta: { id } }
    this.broadcastToTopic(RealtimeServer.key(topic, isPrivate), `realtime:${topic}`, json, broadcast, undefined, { id, droppable: true })
  }

  // ---- presence -------------------------------------------------------------------------------

  /** @internal */
  presenceCall(session: ChannelSession, message: PhoenixMessage): Promise<void> | undefined {
    const body = message.payload && typeof message.payload === 'object' ? (message.payload as Record<string, unknown>) : {}
    // A presence message without "event" is not counted and gets an ok reply, as on the real server.
    if (!('event' in body)) {
      session.socket.reply(message, 'ok', {})
      return undefined
    }
    const now = Date.now()
    const window = session.presenceWindow
    if (!window || now > window.resetAt) {
      session.presenceWindow = { count: 1, resetAt: now + this.limits.presenceWindowMs }
    } else if (window.count >= this.limits.presenceMaxCalls) {
      // No reply for the offending push: a system error, then phx_close.
      this.shutdownChannel(session, SystemMessages.clientPresenceRateLimit)
      return undefined
    } else {
      window.count++
    }
    const event = typeof body.event === 'string' ? body.event.toLowerCase() : ''
    if (event === 'untrack') {
      // Untrack needs no authorization (presence_handler.ex).
      session.socket.reply(message, 'ok', {})
      const diff = this.presence.untrack(session.key, session.id)
      if (diff) this.presenceDiff(session.key, diff)
      return undefined
    }
    if (event !== 'track') {
      session.socket.reply(message, 'error', {})
      return undefined
    }
    const payload = body.payload ?? {}
    if (typeof payload !== 'object' || Array.isArray(payload) || payload === null) {
      session.socket.reply(message, 'error', { reason: SystemMessages.presencePayloadNotMap })
      return undefined
    }
    if (jsonSize(payload) > this.limits.maxPayloadBytes) {
      this.shutdownChannel(session, SystemMessages.trackSizeExceeded)
      return undefined
    }
    const policies = session.policies
    if (policies && policies.presenceWrite === undefined) {
      // First track on a private channel: presence read (if presence was off at join), then write, both cached.
      return (async () => {
        try {
          const context = session.authorizationContext()
          if (policies.presenceRead === undefined) policies.presenceRead = (await this.authorization.read(context, ['presence'])).presence
          const write = await this.authorization.write(context, ['broadcast', 'presence'])
          policies.broadcastWrite ??= write.broadcast
          policies.presenceWrite = write.presence
        } catch (error) {
          if (!(error instanceof AuthorizationError)) throw error
          this.log(`presence check on ${session.topic}: ${error.kind}: ${error.message}`)
          session.socket.reply(message, 'error', {})
          return
        }
        if (!session.closed) this.track(session, message, payload as Record<string, unknown>)
      })()
    }
    this.track(session, message, payload as Record<string, unknown>)
    return undefined
  }

  private track(session: ChannelSession, message: PhoenixMessage, payload: Record<string, unknown>): void {
    // Without presence write access the reply is an error with an empty response, and nothing is tracked.
    if (session.policies && !session.policies.presenceWrite) {
      session.socket.reply(message, 'error', {})
      return
    }
    session.socket.reply(message, 'ok', {})
    const diff = this.presence.track(session.key, session.id, session.config.presence.key, payload)
    if (diff) this.presenceDiff(session.key, diff)
  }

  private presenceDiff(key: string, diff: PresenceDiff): void {
    for (const session of this.topics.get(key) ?? []) {
      // Members of a private channel without presence read access get no diffs (MessageDispatcher).
      if (!session.readsPresence) continue
      session.socket.send({ joinRef: null, ref: null, topic: session.topic, event: 'presence_diff', payload: diff })
    }
  }

  /** Broadcasts sent through the REST API: the same fan-out as a client's, without a sender to exclude. */
  /** @internal */
  restBroadcast(subTopic: string, isPrivate: boolean, json: Record<string, unknown>, binary?: UserBroadcast): number {
    return this.broadcastToTopic(RealtimeServer.key(subTopic, isPrivate), `realtime:${subTopic}`, json, binary)
  }

  /** Presence state of a topic (`realtime:<name>`) as the server holds it, for assertions; private and public apart. */
  presenceState(topic: string, options: { private?: boolean } = {}): ReturnType<PresenceTracker['state']> {
    return this.presence.state(channelKey(topic, options.private ?? false))
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

/**
 * Bytes of a value as JSON. A value JSON.parse accepted can still be too deep to stringify (100,000 nested arrays
 * overflow the stack): such a value counts as too large instead of throwing.
 */
function jsonSize(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? 'null')
  } catch {
    return Number.POSITIVE_INFINITY
  }
}

function normaliseBroadcast(payload: unknown): Record<string, unknown> {
  const body = payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {}
  return { ...body, type: 'broadcast' }
}
