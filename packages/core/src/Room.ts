import type { RealtimeChannel } from '@supabase/supabase-js'
import { CircuitBreaker } from './backoff.js'
import { ChannelRecord } from './ChannelRecord.js'
import type { PoolContext } from './context.js'
import { SupasyncError } from './errors.js'
import { leaveOf, leaveTopic } from './leavingTopics.js'
import { classifyChannelError, classifyReason, isAccessReason, isPresenceReason, STABLE_CHANNEL_MS, tokenRefusal } from './refusals.js'
import { createStore, type ReadableStore } from './store.js'
import { canonicalOptions, type BroadcastMessage, type PresenceEvent, type RoomOptions, type RoomStatus } from './RoomOptions.js'

export type { BroadcastMessage, PresenceEvent, RoomOptions, RoomStatus } from './RoomOptions.js'

type Listener = (payload: unknown, message: BroadcastMessage) => void

/**
 * One topic's realtime channel, shared by every holder. Holders come and go; the channel is left only after
 * the last holder released it and the grace period passed. A channel the server closed is re-created; join
 * failures back off with jitter behind a circuit breaker.
 */
export class Room {
  readonly holders = new Set<object>()
  /** event → listeners; '*' receives every event. Read by `sync.inspect()` (inspectChannels.ts). */
  readonly listeners = new Map<string, Set<Listener>>()
  private readonly presenceListeners = new Set<(event: PresenceEvent) => void>()
  private readonly statusStore = createStore<RoomStatus>('joining')
  /** What `sync.inspect()` shows of it: joins, last event; touched on every change it shows. */
  readonly record: ChannelRecord
  private channel: RealtimeChannel | undefined
  private generation = 0
  private cancelGrace: (() => void) | undefined
  private cancelRetry: (() => void) | undefined
  private readonly breaker: CircuitBreaker
  private openedAt = 0
  /** When the current channel last got SUBSCRIBED; a failure long after it starts a fresh failure count. */
  private joinedAt: number | undefined
  /** The server's last system error on the current channel: why it is about to close it. */
  private serverMessage: string | undefined
  /** The access token the current channel joined with. */
  private joinToken: string | null = null
  /** Stopped after a refusal that retrying cannot fix (undefined while it is being retried). */
  private stoppedFor: 'token' | 'permanent' | undefined
  /** Why the channel is down (a refusal, a re-creation), as reported; cleared by the next join. */
  private lastError: SupasyncError | undefined
  /** An open() is waiting for a leave or for auth: the channel it creates will read the options then. */
  private opening = false
  private cancelTokenWait: (() => void) | undefined
  /** When the last holder released it (TimerPort clock): the oldest released room is evicted first for a slot. */
  releasedAt = 0
  closed = false
  optionsKey: string
  /** Holders that passed options: while any holds the room, its options are fixed. */
  readonly pinnedBy = new Set<object>()

  constructor(
    private readonly context: PoolContext,
    readonly topic: string,
    public options: RoomOptions,
    private readonly onClosed: (room: Room) => void,
  ) {
    this.optionsKey = canonicalOptions(options)
    this.breaker = new CircuitBreaker(context.options.breakerThreshold, context.options.breakerOpenMs)
    this.record = new ChannelRecord(context.inspect)
    // Every status change is one a snapshot shows.
    this.statusStore.subscribe(() => this.record.touch())
    void this.open()
  }

  get status(): ReadableStore<RoomStatus> {
    return this.statusStore
  }

  /** Why the room is down, as reported (the server's reason in `error.reason`); undefined once joined. */
  get error(): SupasyncError | undefined {
    return this.lastError
  }

  /** True while a realtime channel exists for this room (it counts against maxChannels). */
  get hasChannel(): boolean {
    return this.channel !== undefined
  }

  sameOptions(options: RoomOptions): boolean {
    return canonicalOptions(options) === this.optionsKey
  }

  addHolder(holder: object): void {
    this.holders.add(holder)
    this.record.touch()
    // Re-acquired within the grace period: keep the channel, no leave/join.
    this.cancelGrace?.()
    this.cancelGrace = undefined
    // A room stopped for a permanent refusal: a new acquisition is the app asking again (after fixing the cause).
    if (this.stoppedFor === 'permanent' && !this.closed) {
      this.stoppedFor = undefined
      this.breaker.succeed()
      void this.open()
    }
  }

  /**
   * Takes new options while no holder pinned the old ones (every holder passed none: they only listen or send).
   * Before the first join goes out they are simply used for it; on a channel already open it is re-created with them
   * (one leave and join), keeping every listener. A refusal the old options were waiting out does not hold the new
   * ones back (a public room is no longer refused for a private channel's policies).
   */
  async reconfigure(options: RoomOptions): Promise<void> {
    this.options = options
    this.optionsKey = canonicalOptions(options)
    this.record.touch()
    this.cancelRetry?.()
    this.cancelRetry = undefined
    this.cancelTokenWait?.()
    this.cancelTokenWait = undefined
    this.stoppedFor = undefined
    this.lastError = undefined
    this.breaker.succeed()
    const old = this.channel
    this.channel = undefined
    // The old channel's frames still in flight (broadcasts of the other privacy) are dropped from now on.
    this.generation++
    this.statusStore.set('joining')
    if (old) {
      this.context.metrics.counters.leaves++
      // realtime-js hands out the old channel object for the topic until it is removed: remove it first.
      await this.context.realtime.removeChannel(old).catch(() => undefined)
    }
    if (!this.closed && !this.channel && !this.opening && !this.cancelRetry && !this.stoppedFor) void this.open()
  }

  removeHolder(holder: object): void {
    this.holders.delete(holder)
    this.pinnedBy.delete(holder)
    this.record.touch()
    this.context.changed()
    if (this.holders.size > 0 || this.closed) return
    this.releasedAt = this.context.scheduler.now()
    this.cancelGrace?.()
    this.cancelGrace = this.context.scheduler.after(this.context.options.graceMs, () => {
      this.cancelGrace = undefined
      if (this.holders.size === 0) void this.close()
    })
  }

  listen(event: string, listener: Listener): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener)
    this.record.touch()
    return () => {
      if (set.delete(listener)) this.record.touch()
      if (set.size === 0) this.listeners.delete(event)
    }
  }

  get listenerCount(): number {
    let count = this.presenceListeners.size
    for (const set of this.listeners.values()) count += set.size
    return count
  }

  get presenceListenerCount(): number {
    return this.presenceListeners.size
  }

  /** @internal Presence events of this room's channel (rooms opened with `presence`). */
  onPresence(listener: (event: PresenceEvent) => void): () => void {
    this.presenceListeners.add(listener)
    this.record.touch()
    return () => this.presenceListeners.delete(listener) && this.record.touch()
  }

  private emitPresence(event: PresenceEvent): void {
    // The event's name and time, never its presences (they carry the members' states).
    if (event.event !== 'refused') this.record.event('presence', event.event, this.context.scheduler.now())
    for (const listener of [...this.presenceListeners]) {
      try {
        listener(event)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  /** The realtime channel, for packages built on the pool (presence). Undefined while being re-created. */
  realtimeChannel(): RealtimeChannel | undefined {
    return this.channel
  }

  async send(event: string, payload: unknown): Promise<'ok' | 'timed out' | 'error'> {
    const size = new TextEncoder().encode(JSON.stringify(payload ?? null)).length
    if (size > this.context.options.maxBroadcastBytes) {
      throw new SupasyncError(
        'PAYLOAD_TOO_LARGE',
        `Broadcast "${event}" on "${this.topic}" is ${size} bytes; the limit is ${this.context.options.maxBroadcastBytes}. ` +
          'Send less (an id and fetch the rest), or raise maxBroadcastBytes if your plan allows larger messages.',
      )
    }
    if (!(await this.whenJoined(this.context.options.sendTimeoutMs))) return 'timed out'
    const channel = this.channel
    if (!channel) return 'timed out'
    return channel.send({ type: 'broadcast', event, payload }) as Promise<'ok' | 'timed out' | 'error'>
  }

  /** Resolves true once joined, false after `timeoutMs` or when the room closes. */
  private whenJoined(timeoutMs: number): Promise<boolean> {
    if (this.statusStore.get() === 'joined') return Promise.resolve(true)
    return new Promise((resolve) => {
      const finish = (joined: boolean) => {
        unsubscribe()
        cancel()
        resolve(joined)
      }
      const unsubscribe = this.statusStore.subscribe((status) => {
        if (status === 'joined') finish(true)
        else if (status === 'closed') finish(false)
      })
      const cancel = this.context.scheduler.after(timeoutMs, () => finish(false))
    })
  }

  private async open(refreshAuth = false): Promise<void> {
    if (this.opening) return
    this.opening = true
    try {
      // realtime-js hands out the channel object of a topic until its leave is acknowledged: a room reopened on the
      // topic of one still leaving (another options' room, released a moment ago) waits for that leave.
      await leaveOf(this.context.realtime, this.topic)
      await (refreshAuth ? this.context.refreshAuth() : this.context.authReady())
    } finally {
      this.opening = false
    }
    if (this.closed || this.channel) return
    try {
      this.openChannel()
    } catch (error) {
      this.lastError = new SupasyncError('SUBSCRIPTION_FAILED', `Channel "${this.topic}" could not be opened: ${String(error)}`, { cause: error })
      this.statusStore.set('errored')
      this.context.reportError(this.lastError)
    }
  }

  private openChannel(): void {
    const generation = ++this.generation
    this.statusStore.set('joining')
    this.openedAt = this.context.scheduler.now()
    this.serverMessage = undefined
    this.joinedAt = undefined
    this.joinToken = this.context.currentToken()
    const presence = this.options.presence
    const channel = this.context.realtime.channel(this.topic, {
      config: {
        broadcast: { self: this.options.broadcast?.self ?? false, ack: this.options.broadcast?.ack ?? false },
        presence: { key: presence?.key ?? '', enabled: presence !== undefined },
        private: this.options.private ?? false,
      },
    })
    this.channel = channel
    // Only the current channel's frames reach the listeners: one being left (re-created, or re-opened with the other
    // privacy) may still deliver a broadcast or two before its leave is acknowledged.
    channel.on('broadcast', { event: '*' }, (message: { event: string; payload: unknown }) => {
      if (generation === this.generation) this.dispatch(message)
    })
    // The server says why before it closes a channel (system error, then phx_close): keep it for the CLOSED.
    channel.on('system' as never, {} as never, (message: { extension?: string; status?: string; message?: unknown }) => {
      if (generation !== this.generation) return
      this.record.event('system', message?.extension ?? 'system', this.context.scheduler.now())
      if (message?.status === 'error' && typeof message.message === 'string') this.serverMessage = message.message
    })
    if (presence !== undefined) {
      // realtime-js refuses presence listeners after subscribe(): the pool registers them here, once per channel.
      const current = () => generation === this.generation
      channel.on('presence', { event: 'sync' }, () => current() && this.emitPresence({ event: 'sync' }))
      channel.on('presence', { event: 'join' }, (payload: { key: string; newPresences: Record<string, unknown>[] }) => {
        if (current()) this.emitPresence({ event: 'join', key: payload.key, newPresences: payload.newPresences })
      })
      channel.on('presence', { event: 'leave' }, (payload: { key: string; leftPresences: Record<string, unknown>[] }) => {
        if (current()) this.emitPresence({ event: 'leave', key: payload.key, leftPresences: payload.leftPresences })
      })
    }
    this.context.willSubscribe()
    channel.subscribe((status, error) => {
      if (generation !== this.generation || this.closed) return
      this.onStatus(status, error)
    })
    this.context.changed()
  }

  private dispatch(message: { event: string; payload: unknown }): void {
    this.record.event('broadcast', message.event, this.context.scheduler.now())
    const broadcast: BroadcastMessage = { event: message.event, payload: message.payload }
    for (const key of [message.event, '*']) {
      for (const listener of [...(this.listeners.get(key) ?? [])]) {
        this.context.metrics.counters.broadcastsDelivered++
        try {
          listener(message.payload, broadcast)
        } catch (error) {
          queueMicrotask(() => {
            throw error
          })
        }
      }
    }
  }

  private onStatus(status: string, error?: unknown): void {
    const { metrics } = this.context
    if (status === 'SUBSCRIBED') {
      metrics.counters.joins++
      metrics.join.record(this.context.scheduler.now() - this.openedAt)
      if (this.context.events.active) {
        this.context.events.emit({ type: 'join', topic: this.topic, kind: 'room', private: this.options.private === true, ms: this.context.scheduler.now() - this.openedAt })
      }
      this.joinedAt = this.context.scheduler.now()
      this.lastError = undefined
      this.record.joined(this.joinedAt)
      this.statusStore.set('joined')
    } else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') {
      metrics.counters.channelErrors++
      this.statusStore.set('errored')
      const failure = classifyChannelError(status, error, this.context.socketProven())
      // A dead or unproven socket is no refusal: realtime-js rejoins on reconnect by itself, and counting these
      // would open the circuit (and keep the room down for a minute) after a mere network blip.
      if (failure.kind !== 'socket' && this.context.events.active) {
        this.context.events.emit({ type: 'channel-close', topic: this.topic, kind: 'room', by: 'refused', reason: failure.reason })
      }
      if (failure.kind === 'socket') {
        // nothing to do
      } else if (failure.kind === 'token' || failure.kind === 'permanent') {
        this.stop(failure.kind, failure.reason ?? String(error))
      } else {
        // The server refused the join with the socket up: retry after a jittered backoff (not realtime-js's fixed
        // schedule, so clients refused together do not retry in lockstep), behind the breaker.
        const wait = this.countFailure()
        this.restart(wait, `${this.breaker.isOpen ? 'its joins keep failing' : 'the join failed'}: ${failure.reason}`, failure.reason)
      }
    } else if (status === 'CLOSED') {
      // Not our doing (we ignore our own generation's CLOSED): the server closed it (token expiry, rate limit,
      // presence over a limit). realtime-js never rejoins such a channel, so the pool re-creates it.
      metrics.counters.recreated++
      this.channel = undefined
      const reason = this.serverMessage
      if (this.context.events.active) this.context.events.emit({ type: 'channel-close', topic: this.topic, kind: 'room', by: 'server', reason })
      const kind = reason === undefined ? 'transient' : classifyReason(reason)
      if (reason !== undefined && isPresenceReason(reason)) {
        // The room is fine; its presence payload was not. The presence layer hears why and does not send it again.
        this.emitPresence({ event: 'refused', reason })
        this.restart(this.countFailure(), `the server closed it: ${reason}`, reason)
      } else if (kind === 'permanent') {
        this.stop('permanent', reason as string)
      } else if (reason !== undefined && isAccessReason(reason)) {
        // A token push was re-checked against the policies and lost read access (membership gone). The server
        // judged the token realtime-js holds now, and a fresh copy of it would be refused alike: wait for another.
        this.stop('token', reason, this.context.currentToken())
      } else {
        // Token expiry included: the re-creation fetches a fresh token first; if that one is refused too, the join
        // refusal waits for a new token instead of looping.
        this.restart(this.countFailure(), reason === undefined ? 'the server closed it' : `the server closed it: ${reason}`, reason)
      }
    }
    this.context.changed()
  }

  /**
   * Records a failure that counts toward the circuit breaker; returns the wait before the next attempt. A channel
   * that had stayed joined for a while was healthy: its failure starts a new count. One that the server closes
   * right after each join (a loop) keeps counting, so the waits grow instead of restarting at a second.
   */
  private countFailure(): number {
    const now = this.context.scheduler.now()
    if (this.joinedAt !== undefined && now - this.joinedAt >= STABLE_CHANNEL_MS) this.breaker.succeed()
    this.joinedAt = undefined
    return this.breaker.fail(this.context.random)
  }

  private removeCurrentChannel(error: SupasyncError): void {
    const old = this.channel
    this.channel = undefined
    this.generation++
    // Set before the status, so a status subscriber reading `error` on 'errored' sees why.
    this.lastError = error
    this.statusStore.set('errored')
    if (old) void this.context.realtime.removeChannel(old).catch(() => undefined)
  }

  /**
   * Gives up on a refusal that retrying cannot fix. A token refusal is retried once a token other than `refused`
   * (the one the server judged) arrives; a permanent one when the room is acquired again.
   */
  private stop(kind: 'token' | 'permanent', reason: string, refused: string | null = this.joinToken): void {
    const error =
      kind === 'token'
        ? tokenRefusal(`channel "${this.topic}"`, reason, ' with a token allowed to read the topic (a private channel needs a SELECT policy on realtime.messages for that role)')
        : new SupasyncError(
            'JOIN_REFUSED',
            `Realtime refused channel "${this.topic}": ${reason}. This does not change by itself, so supasync stopped retrying. ` +
              'Fix the cause (the project, the topic, the channel options or the payload), then release the room and acquire it again.',
            { reason },
          )
    // realtime-js would rejoin a refused channel on its own fixed schedule forever: take it away.
    this.removeCurrentChannel(error)
    this.stoppedFor = kind
    this.cancelRetry?.()
    this.cancelRetry = undefined
    if (kind === 'token') {
      this.cancelTokenWait?.()
      this.cancelTokenWait = this.context.onTokenChange(refused, () => {
        this.cancelTokenWait = undefined
        if (this.closed || this.stoppedFor !== 'token') return
        this.stoppedFor = undefined
        // The new token is in realtime-js already; asking the token source again could replace one the app set.
        void this.open()
      })
    }
    this.context.reportError(error)
  }

  private restart(delayMs: number, why: string, reason?: string): void {
    const error = new SupasyncError('SUBSCRIPTION_FAILED', `Channel "${this.topic}" is re-created in ${Math.round(delayMs)} ms because ${why}.`, { reason })
    this.removeCurrentChannel(error)
    this.cancelRetry?.()
    this.cancelRetry = this.context.scheduler.after(delayMs, () => {
      this.cancelRetry = undefined
      void this.open(true)
    })
    this.context.reportError(error)
  }

  /** Leaves the channel now (last holder gone past the grace period, or destroy). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.generation++
    this.cancelGrace?.()
    this.cancelRetry?.()
    this.cancelTokenWait?.()
    this.cancelTokenWait = undefined
    this.listeners.clear()
    this.presenceListeners.clear()
    const channel = this.channel
    this.channel = undefined
    this.statusStore.set('closed')
    this.onClosed(this)
    if (channel && this.context.events.active) this.context.events.emit({ type: 'channel-close', topic: this.topic, kind: 'room', by: 'release', reason: undefined })
    if (channel) {
      this.context.metrics.counters.leaves++
      await leaveTopic(this.context.realtime, this.topic, channel)
    }
    this.context.changed()
  }
}

