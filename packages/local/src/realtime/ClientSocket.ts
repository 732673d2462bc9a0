import type { WebSocket } from 'ws'
import { JwtError, verifyJwt, type JwtClaims } from '../jwt.js'
import { AuthorizationError } from './Authorization.js'
import { ChannelSession, type ChannelPolicies } from './ChannelSession.js'
import { parseJoinPayload } from './joinConfig.js'
import { JoinErrors, SystemMessages } from './messages.js'
import type { StoredMessage } from './RealtimeServer.js'
import type { RealtimeServer } from './RealtimeServer.js'
import {
  decodeFrame,
  encodeText,
  encodeUserBroadcast,
  FrameError,
  type PhoenixMessage,
  type UserBroadcast,
  type Vsn,
} from './serializer.js'

/** What the send path reads of ws's net.Socket and its libuv handle (internals, read defensively). */
interface NetSocketInternals {
  cork(): void
  uncork(): void
  readonly writableLength: number
  readonly bytesWritten?: number
  readonly _handle?: { bytesWritten?: unknown; writeQueueSize?: unknown } | null
}

/** A user broadcast's kind-4 frame, built once per message and topic and shared by every receiver of the fan-out. */
interface EncodedUserBroadcast {
  topic: string
  frame?: Buffer
  /** Why no frame could be built. */
  problem?: string
  /** The problem was logged already (once per message, not once per receiver). */
  reported?: boolean
}

const encodedFrames = new WeakMap<UserBroadcast, EncodedUserBroadcast>()

function userBroadcastFrame(topic: string, broadcast: UserBroadcast): EncodedUserBroadcast {
  const cached = encodedFrames.get(broadcast)
  if (cached && cached.topic === topic) return cached
  let encoded: EncodedUserBroadcast
  try {
    encoded = { topic, frame: encodeUserBroadcast(topic, broadcast) }
  } catch (error) {
    encoded = { topic, problem: error instanceof Error ? error.message : String(error) }
  }
  encodedFrames.set(broadcast, encoded)
  return encoded
}

/** One WebSocket connection: frame routing, heartbeats and the channels joined on it. */
export class ClientSocket {
  readonly channels = new Map<string, ChannelSession>()
  /** Joins waiting out the join-error delay; counted so a flood cannot bypass the channel limit. */
  private pendingJoinErrors = new Set<ReturnType<typeof setTimeout>>()
  lastInboundAt = Date.now()
  closed = false
  /**
   * Frames that arrived while an earlier one waited for the database (a private join's policy check, a first
   * private broadcast's write check): handled in arrival order afterwards, as the real server's channel and
   * transport processes handle one message at a time.
   */
  private heldFrames: { data: Buffer; isBinary: boolean }[] = []
  private heldBytes = 0
  private busy = false

  constructor(
    readonly server: RealtimeServer,
    readonly ws: WebSocket,
    readonly vsn: Vsn,
    readonly token: string,
    readonly claims: JwtClaims,
    /** The upgrade request's `x-*` headers: `request.headers` while the app's realtime policies run. */
    readonly headers: Record<string, string> = {},
  ) {
    ws.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary))
    ws.on('close', () => this.onClosed())
    ws.on('error', () => this.onClosed())
  }

  // ---- outbound -------------------------------------------------------------------------------

  send(message: PhoenixMessage): void {
    this.sendRaw(encodeText(message, this.vsn))
  }

  sendRaw(data: string | Buffer): void {
    if (this.closed || this.server.faults.blackholed) return
    if (this.ws.readyState !== this.ws.OPEN) return
    this.corkUntilNextTick()
    this.ws.send(data, { binary: typeof data !== 'string' })
    // Two property reads, and only while the socket is behind: a socket that keeps up may take any burst in one turn.
    if (this.behind && this.ws.bufferedAmount > this.server.limits.maxSendBufferBytes) this.closeSlowConsumer('send buffer')
  }

  private corked = false

  /**
   * ws writes every frame with its own writev syscall; under fan-out (one change → many sockets, many changes
   * per poll) those syscalls dominate the server's CPU. Corking the TCP socket for the rest of the event-loop
   * turn coalesces a burst of frames into one write.
   */
  private corkUntilNextTick(): void {
    if (this.corked) return
    const socket = this.netSocket()
    if (!socket) return
    this.corked = true
    socket.cork()
    // Until the end of this event-loop turn: every change decoded in the same turn shares the write.
    setImmediate(() => {
      this.corked = false
      socket.uncork()
      // Uncorking hands the turn's frames to the kernel at once; what it did not take is the backlog.
      this.checkBacklog()
    })
  }

  /** `_socket` is ws's own reference to the net.Socket; ws exposes no public handle to it. */
  private netSocket(): NetSocketInternals | undefined {
    return (this.ws as unknown as { _socket?: NetSocketInternals })._socket
  }

  // ---- slow consumers -------------------------------------------------------------------------
  //
  // A client that stops reading makes ws queue every frame in memory without bound. The real server has no
  // queue limit either, but its transport process dies past max_heap_size (WEBSOCKET_MAX_HEAP_SIZE,
  // 50 MB) and Ranch closes a socket whose send blocks for send_timeout (30 s). Both end the TCP connection
  // without a close frame: the client sees 1006. Here: limits.maxSendBufferBytes and limits.sendTimeoutMs.

  /** The socket had unsent bytes at its last check; only then does sendRaw check the buffer on every send. */
  private behind = false
  /** The one timer of a socket with a backlog: it watches the backlog drain, every quarter of sendTimeoutMs. */
  private backlogTimer: ReturnType<typeof setTimeout> | undefined
  private drainedMark = 0
  private lastDrainAt = 0

  private checkBacklog(): void {
    if (this.closed) return
    const buffered = this.ws.bufferedAmount
    this.behind = buffered > 0
    if (!this.behind) return
    if (buffered > this.server.limits.maxSendBufferBytes) return this.closeSlowConsumer('send buffer')
    if (!this.backlogTimer) {
      this.drainedMark = this.bytesTakenByKernel()
      this.lastDrainAt = Date.now()
      this.scheduleBacklogCheck()
    }
  }

  private scheduleBacklogCheck(): void {
    this.backlogTimer = setTimeout(() => this.onBacklogCheck(), Math.max(5, this.server.limits.sendTimeoutMs / 4))
    this.backlogTimer.unref()
  }

  private onBacklogCheck(): void {
    this.backlogTimer = undefined
    if (this.closed) return
    const buffered = this.ws.bufferedAmount
    this.behind = buffered > 0
    if (!this.behind) return
    if (buffered > this.server.limits.maxSendBufferBytes) return this.closeSlowConsumer('send buffer')
    const taken = this.bytesTakenByKernel()
    const now = Date.now()
    if (taken !== this.drainedMark) {
      this.drainedMark = taken
      this.lastDrainAt = now
    } else if (now - this.lastDrainAt >= this.server.limits.sendTimeoutMs) {
      return this.closeSlowConsumer('send timeout')
    }
    this.scheduleBacklogCheck()
  }

  /**
   * Bytes the kernel has accepted so far. libuv's handle counts what it was given (`bytesWritten`) and what it
   * still holds (`writeQueueSize`), so partial progress of one large write shows; the public net.Socket
   * counters only move when a whole write completes.
   */
  private bytesTakenByKernel(): number {
    const socket = this.netSocket()
    const handle = socket?._handle
    if (handle && typeof handle.bytesWritten === 'number' && typeof handle.writeQueueSize === 'number') {
      return handle.bytesWritten - handle.writeQueueSize
    }
    return socket ? (socket.bytesWritten ?? 0) - socket.writableLength : 0
  }

  /** Destroys the socket without a close frame, as the real server's killed transport process does. */
  private closeSlowConsumer(reason: 'send buffer' | 'send timeout'): void {
    if (this.closed) return
    const buffered = this.ws.bufferedAmount
    const limits = this.server.limits
    this.server.stats.slowConsumersClosed++
    this.server.log(
      reason === 'send buffer'
        ? `closed a slow consumer (1006): ${buffered} bytes unsent, over maxSendBufferBytes ${limits.maxSendBufferBytes}; topics: ${[...this.channels.keys()].join(', ')}`
        : `closed a slow consumer (1006): ${buffered} bytes unsent and none taken for sendTimeoutMs ${limits.sendTimeoutMs}; topics: ${[...this.channels.keys()].join(', ')}`,
    )
    this.stopBacklogWatch()
    this.close(1006, '', true)
  }

  private stopBacklogWatch(): void {
    if (this.backlogTimer) clearTimeout(this.backlogTimer)
    this.backlogTimer = undefined
    this.behind = false
  }

  /** Builds the frame around pre-serialised change data, so one change is stringified once for all sockets. */
  sendPostgresChange(topic: string, ids: number[], dataJson: string): void {
    const payload = `{"ids":[${ids.join(',')}],"data":${dataJson}}`
    const topicJson = JSON.stringify(topic)
    this.sendRaw(
      this.vsn === '2.0.0'
        ? `[null,null,${topicJson},"postgres_changes",${payload}]`
        : `{"topic":${topicJson},"event":"postgres_changes","payload":${payload},"ref":null}`,
    )
  }

  /**
   * Delivers a broadcast: kind-4 binary to vsn 2 sockets for user broadcasts, JSON otherwise. Never throws, so
   * one receiver cannot cut the fan-out short. When no kind-4 frame can be built (topic or event over 255
   * bytes), a JSON payload goes out as a text broadcast, which realtime-js decodes as well, and a binary
   * payload is dropped, counted in `stats.undeliverableBroadcasts` and logged once per message.
   */
  sendBroadcast(topic: string, json: Record<string, unknown>, userBroadcast?: UserBroadcast): void {
    try {
      if (userBroadcast && this.vsn === '2.0.0') {
        const encoded = userBroadcastFrame(topic, userBroadcast)
        if (encoded.frame) return this.sendRaw(encoded.frame)
        if (userBroadcast.encoding === 'binary') {
          this.server.stats.undeliverableBroadcasts++
          if (!encoded.reported) this.server.log(`dropped a binary broadcast on ${topic} (event ${JSON.stringify(userBroadcast.userEvent.slice(0, 64))}…): ${encoded.problem}`)
          encoded.reported = true
          return
        }
        if (!encoded.reported) this.server.log(`sent a broadcast on ${topic} as a text frame: ${encoded.problem}`)
        encoded.reported = true
      }
      // Binary payloads cannot be expressed in vsn 1 JSON: the real server drops them for such receivers.
      else if (userBroadcast?.encoding === 'binary') return
      this.send({ joinRef: null, ref: null, topic, event: 'broadcast', payload: json })
    } catch (error) {
      this.server.stats.undeliverableBroadcasts++
      this.server.log(`could not deliver a broadcast on ${topic}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  reply(message: { joinRef: string | null; ref: string | null; topic: string }, status: 'ok' | 'error', response: unknown): void {
    this.send({ joinRef: message.joinRef, ref: message.ref, topic: message.topic, event: 'phx_reply', payload: { status, response } })
  }

  // ---- inbound --------------------------------------------------------------------------------

  private onFrame(data: Buffer, isBinary: boolean): void {
    this.lastInboundAt = Date.now()
    if (this.server.faults.blackholed) return
    if (this.busy) {
      this.hold(data.length)
      this.heldFrames.push({ data, isBinary })
      return
    }
    const pending = this.handleFrame(data, isBinary)
    if (pending) this.waitFor(pending)
  }

  /** Counts frames held back; a client that floods while the database is slow is cut like a transport past its heap limit. */
  private hold(bytes: number): void {
    this.heldBytes += bytes
    if (this.heldBytes > this.server.limits.maxSendBufferBytes) {
      this.server.log(`closed a socket whose unhandled frames passed ${this.server.limits.maxSendBufferBytes} bytes`)
      this.close(1006, '', true)
    }
  }

  /**
   * A join waiting for its policy check holds every later frame of the socket (Phoenix joins synchronously in the
   * transport). Handles them in order afterwards; each may wait again.
   */
  private waitFor(pending: Promise<void>): void {
    this.busy = true
    void pending.catch((error: unknown) => this.frameFailed(error)).then(() => {
      this.busy = false
      while (!this.busy && !this.closed && this.heldFrames.length > 0) {
        const next = this.heldFrames.shift()!
        this.heldBytes -= next.data.length
        const again = this.handleFrame(next.data, next.isBinary)
        if (again) this.waitFor(again)
      }
    })
  }

  /**
   * A channel waiting for a policy check (a first private send or track, an access_token) holds only its own later
   * messages: the channel process handles one at a time while the transport goes on answering heartbeats and the
   * other channels.
   */
  private waitForChannel(session: ChannelSession, pending: Promise<void>): void {
    session.heldWork ??= []
    void pending.catch((error: unknown) => this.frameFailed(error)).then(() => {
      const work = session.heldWork ?? []
      session.heldWork = undefined
      while (!this.closed && work.length > 0) {
        const next = work.shift()!
        this.heldBytes -= next.bytes
        const again = this.guarded(next.run)
        if (again) {
          // Still waiting: the rest stays behind the new check, in order.
          session.heldWork = work
          this.waitForChannel(session, again)
          return
        }
      }
    })
  }

  private frameFailed(error: unknown): void {
    this.server.stats.badFrames++
    this.server.log(`error handling frame: ${error instanceof Error ? error.stack : String(error)}`)
  }

  /** Runs a handler; anything unexpected is logged and counted, and the socket keeps serving. */
  private guarded(run: () => Promise<void> | undefined): Promise<void> | undefined {
    try {
      return run()
    } catch (error) {
      this.frameFailed(error)
      return undefined
    }
  }

  private handleFrame(data: Buffer, isBinary: boolean): Promise<void> | undefined {
    let frame
    try {
      frame = decodeFrame(data, isBinary, this.vsn)
    } catch (error) {
      // The real server rescues decode errors, logs them and keeps the socket open (RealtimeWeb.Socket.handle_in).
      this.server.stats.badFrames++
      this.server.log(`ignored malformed frame: ${error instanceof FrameError ? error.message : String(error)}`)
      return undefined
    }
    const run =
      frame.kind === 'userBroadcast'
        ? () => this.onBroadcast(frame, frame.topic, frame.broadcast, frame.clientMetadata)
        : () => this.onMessage(frame.message)
    const topic = frame.kind === 'userBroadcast' ? frame.topic : frame.message.topic
    const isJoin = frame.kind === 'message' && frame.message.event === 'phx_join'
    const session = isJoin ? undefined : this.channels.get(topic)
    if (session?.heldWork) {
      this.hold(data.length)
      session.heldWork.push({ run, bytes: data.length })
      return undefined
    }
    const pending = this.guarded(run)
    if (!pending) return undefined
    // A join holds the socket; anything else holds only its channel.
    if (isJoin || !session) return pending
    this.waitForChannel(session, pending)
    return undefined
  }

  private onMessage(message: PhoenixMessage): Promise<void> | undefined {
    if (message.topic === 'phoenix' && message.event === 'heartbeat') {
      this.reply(message, 'ok', {})
      return
    }
    if (message.event === 'phx_join') return this.join(message)
    const session = this.channels.get(message.topic)
    if (!session || (message.joinRef !== null && message.joinRef !== session.joinRef)) {
      if (message.event === 'phx_leave') this.reply(message, 'ok', {})
      else this.reply({ joinRef: null, ref: message.ref, topic: message.topic }, 'error', { reason: JoinErrors.unmatchedTopic })
      return
    }
    switch (message.event) {
      case 'phx_leave':
        this.reply(message, 'ok', {})
        this.closeChannel(session)
        return
      case 'broadcast':
        return this.onBroadcast(message, message.topic, undefined)
      case 'presence':
        return this.server.presenceCall(session, message)
      case 'access_token':
        return this.onAccessToken(session, message.payload)
      default:
        // Unknown events are ignored by the channel (no reply), as RealtimeChannel's catch-all does.
        return
    }
  }

  private join(message: PhoenixMessage): Promise<void> | undefined {
    const { topic } = message
    if (!topic.startsWith('realtime:')) {
      this.reply({ joinRef: null, ref: message.ref, topic }, 'error', { reason: JoinErrors.unmatchedTopic })
      return undefined
    }
    const existing = this.channels.get(topic)
    if (existing) {
      // A duplicate join kills the old channel at once; its phx_close reaches the wire after the new reply.
      this.server.channelClosed(existing)
      this.channels.delete(topic)
    }
    const closeExisting = () => {
      if (existing) this.send({ joinRef: existing.joinRef, ref: existing.joinRef, topic, event: 'phx_close', payload: {} })
    }
    const config = parseJoinPayload(message.payload)
    const token = config.accessToken ?? this.token
    let claims: JwtClaims
    try {
      claims = verifyJwt(token, this.server.jwtSecret)
    } catch (error) {
      const reason =
        error instanceof JwtError
          ? error.problem === 'malformed'
            ? JoinErrors.malformedJwt
            : error.problem === 'signature'
              ? JoinErrors.jwtSignature
              : JoinErrors.jwt(error.message)
          : JoinErrors.malformedJwt
      this.joinError(message, reason, closeExisting)
      return undefined
    }
    if (topic === 'realtime:') return this.joinError(message, JoinErrors.topicNameRequired, closeExisting)
    if (this.channels.size + this.pendingJoinErrors.size >= this.server.limits.maxChannelsPerClient) {
      return this.joinError(message, JoinErrors.tooManyChannels, closeExisting)
    }
    if (!this.server.acceptingJoins) return this.joinError(message, JoinErrors.refused, closeExisting)
    const subTopic = topic.slice('realtime:'.length)
    if (!config.private) {
      if (config.broadcast.replay.kind !== 'none') return this.joinError(message, JoinErrors.replayPublic, closeExisting)
      this.completeJoin(message, config, token, claims, undefined, [])
      closeExisting()
      return undefined
    }
    // Private: the app's SELECT policies on realtime.messages decide (maybe_assign_policies/3), then replay.
    return (async () => {
      let policies: ChannelPolicies
      let replayed: StoredMessage[] = []
      try {
        const context = { subTopic, role: claims.role, claims, headers: this.headers }
        const read = await this.server.authorization.read(context, config.presence.enabled ? ['broadcast', 'presence'] : ['broadcast'])
        policies = { broadcastRead: read.broadcast, presenceRead: read.presence }
        if (!read.broadcast && !read.presence) return this.joinError(message, JoinErrors.unauthorizedPrivate(subTopic), closeExisting)
        const replay = config.broadcast.replay
        if (replay.kind !== 'none' && read.broadcast === false) {
          return this.joinError(message, JoinErrors.unauthorizedPrivate(subTopic), closeExisting)
        }
        if (replay.kind === 'invalid') return this.joinError(message, JoinErrors.replayInvalid, closeExisting)
        if (replay.kind === 'replay') {
          try {
            replayed = await this.server.storedMessages(subTopic, replay.since, replay.limit)
          } catch (error) {
            this.server.log(`replay failed: ${error instanceof Error ? error.message : String(error)}`)
            return this.joinError(message, JoinErrors.replayFailed, closeExisting)
          }
        }
      } catch (error) {
        if (!(error instanceof AuthorizationError)) throw error
        this.server.log(`authorization of ${topic}: ${error.kind}: ${error.message}`)
        const reason =
          error.kind === 'missing_partition'
            ? JoinErrors.missingPartition
            : error.kind === 'rls_policy_error'
              ? JoinErrors.unauthorizedPrivate(subTopic)
              : JoinErrors.unableToSetPolicies
        return this.joinError(message, reason, closeExisting)
      }
      if (this.closed) return
      this.completeJoin(message, config, token, claims, policies, replayed)
      closeExisting()
    })()
  }

  private completeJoin(
    message: PhoenixMessage,
    config: ReturnType<typeof parseJoinPayload>,
    token: string,
    claims: JwtClaims,
    policies: ChannelPolicies | undefined,
    replayed: StoredMessage[],
  ): void {
    const session = new ChannelSession(this, message.topic, message.joinRef, config, token, claims, policies)
    this.channels.set(message.topic, session)
    this.reply(message, 'ok', { postgres_changes: config.postgresChanges.map((param) => ({ ...param.raw, id: param.id })) })
    this.server.channelJoined(session, replayed)
  }

  private joinError(message: PhoenixMessage, reason: string, after: () => void): undefined {
    // A join whose policy check ended after the socket closed: nobody is left to answer.
    if (this.closed) return undefined
    const timer = setTimeout(() => {
      this.pendingJoinErrors.delete(timer)
      this.reply(message, 'error', { reason })
      after()
    }, this.server.limits.joinErrorDelayMs)
    this.pendingJoinErrors.add(timer)
    return undefined
  }

  private onBroadcast(
    message: { joinRef: string | null; ref: string | null },
    topic: string,
    binary: UserBroadcast | undefined,
    clientMetadata: Record<string, unknown> | null = null,
  ): Promise<void> | undefined {
    const session = this.channels.get(topic)
    // A push from an earlier join of this topic (its join_ref) must not reach the channel joined since, which may be
    // the public one of a private topic: Phoenix drops stale join_refs.
    if (!session || (message.joinRef !== null && message.joinRef !== session.joinRef)) {
      this.reply({ joinRef: null, ref: message.ref, topic }, 'error', { reason: JoinErrors.unmatchedTopic })
      return undefined
    }
    const payload = binary ? undefined : (message as PhoenixMessage).payload
    return this.server.broadcastFromClient(session, message.ref, payload, binary, clientMetadata)
  }

  private onAccessToken(session: ChannelSession, payload: unknown): Promise<void> | undefined {
    const token = payload && typeof payload === 'object' ? (payload as { access_token?: unknown }).access_token : undefined
    // The same token, null, or an sb_ key is ignored; there is never a reply (realtime-protocol.md §1.11).
    if (typeof token !== 'string' || token === session.token || token.startsWith('sb_')) return undefined
    let claims: JwtClaims
    try {
      claims = verifyJwt(token, this.server.jwtSecret)
    } catch (error) {
      // A bad signature falls through to `inspect(error)` on the real server, hence the atom-like text.
      const message =
        error instanceof JwtError ? (error.problem === 'signature' ? ':signature_error' : error.message) : 'The token provided is not a valid JWT'
      this.server.shutdownChannel(session, message)
      return undefined
    }
    if (!session.isPrivate) {
      session.setToken(token, claims)
      this.server.scheduleExpiry(session)
      this.server.resubscribeChanges(session)
      return undefined
    }
    // Private: read access is evaluated again under the new token; write access again on the next send or track.
    const previous = session.policies ?? {}
    return (async () => {
      const context = { subTopic: session.subTopic, role: claims.role, claims, headers: this.headers }
      let read: Awaited<ReturnType<typeof this.server.authorization.read>>
      try {
        // Presence is checked when it was enabled at join or since, by a track (presence_handler.ex sets presence_enabled?).
        const presence = session.config.presence.enabled || session.policies?.presenceRead !== undefined
        read = await this.server.authorization.read(context, presence ? ['broadcast', 'presence'] : ['broadcast'])
      } catch (error) {
        if (!(error instanceof AuthorizationError)) throw error
        this.server.log(`authorization of ${session.topic}: ${error.kind}: ${error.message}`)
        const message =
          error.kind === 'rls_policy_error' ? SystemMessages.noReadPermission(session.subTopic) : SystemMessages.unableToConnectToDatabase
        this.server.shutdownChannel(session, message)
        return
      }
      if (session.closed) return
      if (!read.broadcast && !read.presence) return this.server.shutdownChannel(session, SystemMessages.noReadPermission(session.subTopic))
      const revoked =
        (previous.broadcastRead === true && read.broadcast === false) || (previous.presenceRead === true && read.presence === false)
      if (revoked) return this.server.shutdownChannel(session, SystemMessages.readPermissionRevoked(session.subTopic))
      session.policies = { broadcastRead: read.broadcast, presenceRead: read.presence }
      session.setToken(token, claims)
      this.server.scheduleExpiry(session)
      this.server.resubscribeChanges(session)
    })()
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Leaves a channel server-side and tells the client with phx_close (ref = join_ref). */
  closeChannel(session: ChannelSession): void {
    if (session.closed) return
    this.server.channelClosed(session)
    this.channels.delete(session.topic)
    this.send({ joinRef: session.joinRef, ref: session.joinRef, topic: session.topic, event: 'phx_close', payload: {} })
  }

  /** Closes the socket; with `abrupt`, the TCP connection is destroyed without a close frame. */
  close(code = 1000, reason = '', abrupt = false): void {
    if (this.closed) return
    if (abrupt) this.ws.terminate()
    else this.ws.close(code, reason)
    this.onClosed()
  }

  private onClosed(): void {
    if (this.closed) return
    this.closed = true
    this.heldFrames = []
    this.heldBytes = 0
    this.stopBacklogWatch()
    for (const timer of this.pendingJoinErrors) clearTimeout(timer)
    this.pendingJoinErrors.clear()
    for (const session of this.channels.values()) this.server.channelClosed(session)
    this.channels.clear()
    this.server.socketClosed(this)
  }
}

