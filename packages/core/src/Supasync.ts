import type { RealtimeClient } from '@supabase/supabase-js'
import { ChangesPool, type ChangesLease, type ChangesOptions } from './ChangesPool.js'
import { EventHub, type SupasyncEvent, type SupasyncEventInput } from './events.js'
import type { ChangePayload } from './ChangeHost.js'
import type { ChangeSpec } from './changeSpec.js'
import { ConnectionMonitor, type ConnectionStatus } from './ConnectionMonitor.js'
import type { PoolContext } from './context.js'
import { destroyed, invalidTopic, SupasyncError } from './errors.js'
import { listenToHeartbeats } from './heartbeatHub.js'
import { Inspector } from './Inspector.js'
import type { InspectActions, InspectDeadLetterActions, InspectKind, InspectProvider, InspectRegistration, InspectSnapshot, InspectSource } from './inspectTypes.js'
import { MetricsRecorder, type SupasyncMetrics } from './metrics.js'
import type { RealtimeHost, ResolvedOptions } from './options.js'
import type { SupasyncPorts } from './ports.js'
import { isLeaving } from './leavingTopics.js'
import { Room } from './Room.js'
import type { RoomOptions } from './RoomOptions.js'
import { RoomHandle } from './RoomHandle.js'
import { Scheduler } from './Scheduler.js'
import { SharedValues, type SharedLease } from './SharedValues.js'
import { jwtSubject } from './jwtSubject.js'
import { createStore, type ReadableStore } from './store.js'

/** Topics are sent as `realtime:<topic>` in frames whose string fields hold at most 255 bytes. */
const MAX_TOPIC_BYTES = 255 - 'realtime:'.length

/** Counts for leak checks: everything goes back to zero after `destroy()` (and after all releases + grace). */
export interface SupasyncDiagnostics {
  rooms: number
  roomHolders: number
  roomListeners: number
  changeBindings: number
  changeLeases: number
  /** Realtime channels this instance holds on the client. */
  channels: number
  /** supasync timers not yet fired or cancelled. */
  timers: number
  /** Subscribers of `sync.status`. */
  statusListeners: number
  /** `onEvent` listeners. */
  eventListeners: number
  /** Values shared through `share()` (live tables, presence rooms), held or in their grace period. */
  shared: number
  /** `subscribeInspect` listeners. */
  inspectListeners: number
  /** Live tables, queues and presence rooms registered with `sync.inspect()`. */
  inspectRegistrations: number
}

/** One supasync instance over one supabase-js client. Create it with `createSupasync`. */
export class Supasync implements InspectSource {
  private readonly rooms = new Map<string, Room>()
  private readonly changesPool: ChangesPool
  private readonly monitor: ConnectionMonitor
  private readonly scheduler: Scheduler
  private readonly recorder = new MetricsRecorder()
  private readonly context: PoolContext
  private isDestroyed = false
  private authPromise: Promise<void> | undefined
  private readonly stopHeartbeats: () => void
  /** Channels waiting for a token other than the one the server refused. */
  private readonly tokenWaiters = new Set<{ refused: string | null; callback: () => void }>()
  private cancelTokenPoll: (() => void) | undefined
  /**
   * Whether supasync opened the socket: undefined until its first subscribe. Decides whether destroy() may
   * disconnect it (never a socket the app opened for itself).
   */
  private openedSocket: boolean | undefined
  private readonly instanceId: string
  private readonly events: EventHub
  private stopStatusEvents: (() => void) | undefined
  private readonly sharedValues: SharedValues
  private readonly identityStore = createStore<string | undefined>(undefined)
  private followingToken = false
  private cancelIdleClose: (() => void) | undefined
  /** The `accessToken` callback's last answer (see followTokenCallback). */
  private lastCallbackToken: string | undefined
  private readonly inspector: Inspector
  /**
   * What a devtools panel may do to what `inspect()` shows: retry or discard a dead letter of a queue registered with
   * this instance (`createQueue({ sync })`), by the queue's `InspectQueue.id` and the entry's id. Rejects with
   * `UNKNOWN_QUEUE` for a queue that is not registered, else with the queue's own error.
   */
  readonly inspectActions: InspectActions

  /** @internal Created by the package's factory function, not by `new`. */
  constructor(
    readonly realtime: RealtimeClient,
    private readonly options: ResolvedOptions,
    /** The client given to createSupasync (a supabase-js client): packages that read through PostgREST default to it. */
    readonly client?: RealtimeHost,
  ) {
    this.scheduler = new Scheduler(options.ports.timers)
    this.sharedValues = new SharedValues(this.scheduler, options.graceMs, (error) =>
      options.onError(error instanceof SupasyncError ? error : new SupasyncError('DISPOSE_FAILED', `A shared value (live table, presence room) failed to close: ${String(error)}`)),
    )
    const instanceId = (this.instanceId = Math.random().toString(36).slice(2, 8))
    const wallNow = () => options.ports.timers.wallNow?.() ?? options.ports.timers.now()
    this.events = new EventHub(wallNow)
    this.inspector = new Inspector({
      now: () => this.scheduler.now(),
      wallNow,
      status: () => this.monitor.status.get(),
      counters: this.recorder.counters,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      maxChannels: options.maxChannels,
      rooms: () => this.rooms.values(),
      hosts: () => this.changesPool.hosts,
    })
    this.inspectActions = this.inspector.actions
    this.context = {
      realtime,
      events: this.events,
      inspect: this.inspector,
      options,
      scheduler: this.scheduler,
      metrics: this.recorder,
      authReady: () => (this.authPromise ??= this.prepareAuth()),
      refreshAuth: () => (this.authPromise = this.fetchFreshToken()),
      channelCount: () => this.reservedChannels(),
      changed: () => this.monitor?.recompute(),
      reportError: (error) => options.onError(error),
      random: Math.random,
      socketProven: () => this.monitor?.socketProven() ?? false,
      currentToken: () => (realtime as RealtimeClient & { accessTokenValue?: string | null }).accessTokenValue ?? null,
      onTokenChange: (refused, callback) => this.onTokenChange(refused, callback),
      willSubscribe: () => {
        this.openedSocket ??= !realtime.isConnected() && !realtime.isConnecting()
      },
    }
    // realtime-js re-reads the token on every heartbeat: the moment to notice a new one.
    this.stopHeartbeats = listenToHeartbeats(realtime, () => {
      this.checkTokens()
      void this.followTokenCallback()
    })
    this.changesPool = new ChangesPool(this.context, instanceId, () => this.rooms.size, () => this.evictIdleRoom())
    this.monitor = new ConnectionMonitor(
      this.context,
      () => ({
        channels: this.channelCount(),
        leases: this.leaseCount(),
        allJoined: this.allJoined(),
      }),
      (idle) => this.noteIdle(idle),
    )
    this.monitor.start()
  }

  /**
   * Structured events for monitoring: status changes, joins, channel closes with the server's reason, and, from the
   * packages built on this instance, live-table polls, changes missed by realtime, queue flushes, dead letters and
   * presence waits. Events carry names, counts and durations, never tokens or row data. Returns an unsubscribe.
   */
  onEvent(listener: (event: SupasyncEvent) => void): () => void {
    this.assertAlive()
    const off = this.events.on(listener)
    // The status is followed only while someone listens, so an instance without listeners holds no subscription.
    if (!this.stopStatusEvents) {
      let previous = this.monitor.status.get()
      this.stopStatusEvents = this.monitor.status.subscribe((status) => {
        if (status.state !== previous.state) this.events.emit({ type: 'status', state: status.state, previous: previous.state, rttMs: status.rttMs })
        previous = status
      })
    }
    return () => {
      off()
      if (!this.events.active) {
        this.stopStatusEvents?.()
        this.stopStatusEvents = undefined
      }
    }
  }

  /**
   * One picture of everything the instance holds: the connection (state, round trip, heartbeats, reconnects), every
   * channel (topic, room or changes pool, status, holders, bindings, joins, last event by name and time), and the
   * live tables, queues and presence rooms registered by the packages built on it. Counts, keys, topics, filters and
   * error messages only: never tokens, rows, broadcast payloads or presence states.
   *
   * The same object comes back until something in it changed, and such a read costs one flag check and allocates
   * nothing; the first read after a change rebuilds only the parts that changed. Durations (`stalenessMs`) are as of
   * `takenAt`. Still answers after `destroy()` (with nothing held).
   */
  inspect(): InspectSnapshot {
    return this.inspector.inspect()
  }

  /**
   * Calls `listener` (no arguments; read `inspect()`) after each change of what `inspect()` shows, once per burst of
   * changes (a microtask: no timer). Returns the function that stops it; `destroy()` calls every listener one last
   * time and drops them.
   */
  subscribeInspect(listener: () => void): () => void {
    this.assertAlive()
    return this.inspector.subscribe(listener)
  }

  /**
   * For package authors (polling, queue, presence use it): puts one entry of `kind` into every snapshot. `provider`
   * is called only while a snapshot is built, with the entry it returned last time as long as the registration has
   * not called `changed()` since (see {@link InspectProvider}); call `registration.changed()` whenever something the
   * entry shows changed, and `unregister()` when the thing goes away. A queue passes its dead-letter `actions`, which
   * {@link inspectActions} routes to by `registration.id`. On a destroyed instance the registration does nothing.
   */
  registerInspect<K extends InspectKind>(kind: K, provider: InspectProvider<K>, actions?: InspectDeadLetterActions): InspectRegistration {
    return this.inspector.register(kind, provider, actions)
  }

  /** @internal For the packages built on core: emit one event (nothing is built while no one listens: check `eventsActive`). */
  emitEvent(event: SupasyncEventInput): void {
    this.events.emit(event)
  }

  /** @internal Whether anyone listens to {@link onEvent}; packages check it before they build an event. */
  get eventsActive(): boolean {
    return this.events.active
  }

  /**
   * realtime-js joins with whatever token it holds at subscribe time; supabase-js hands it the session (or
   * `accessToken`) token asynchronously, so a channel opened right after createClient would join as anon and
   * RLS would hide every row. Every join waits for this first.
   */
  /**
   * realtime-js keeps a socket open (and its heartbeat timer running) after the last channel is removed. A socket
   * supasync opened is closed once the instance has held nothing for a grace period (`graceMs`, at least one
   * heartbeat interval), unless the app has channels of its own on it; the next channel opens it again. An
   * unmounted tree leaves no socket and no timer, and a Node process can exit.
   */
  private noteIdle(idle: boolean): void {
    if (!idle) {
      this.cancelIdleClose?.()
      this.cancelIdleClose = undefined
      return
    }
    if (this.cancelIdleClose || !this.openedSocket || this.isDestroyed) return
    const realtime = this.realtime
    if (!realtime.isConnected() && !realtime.isConnecting()) return
    this.cancelIdleClose = this.scheduler.after(Math.max(this.options.graceMs, this.options.heartbeatIntervalMs), () => {
      this.cancelIdleClose = undefined
      if (this.isDestroyed || this.reservedChannels() > 0 || this.leaseCount() > 0 || realtime.getChannels().length > 0) return
      void realtime.disconnect().catch(() => undefined)
    })
  }

  private async prepareAuth(): Promise<void> {
    const realtime = this.realtime as RealtimeClient & { _isManualToken?: () => boolean }
    if (!realtime._isManualToken?.()) await realtime.setAuth().catch(() => undefined)
    this.noteIdentity()
  }

  private noteIdentity(): void {
    if (!this.isDestroyed) this.identityStore.set(jwtSubject(this.context.currentToken()) ?? 'anon')
  }

  /**
   * Who the realtime client joins as: the `sub` claim (user id) of the token it holds, or `'anon'`. Follows a sign-in,
   * a sign-out or a switch of account within one heartbeat (`heartbeatIntervalMs`), whether the app set the token,
   * supabase-js did on an auth event, or the `accessToken` callback returned another user's. Undefined until the
   * first channel asked for the token. Live tables read again as the new user when it changes.
   */
  get identity(): ReadableStore<string | undefined> {
    return this.identityStore
  }

  /**
   * After the server closed a channel for token expiry: ask the client's token source again. supabase-js's
   * `accessToken` option hands realtime-js a "manual" token that realtime-js never refreshes by itself, so the
   * callback is asked directly; a client without one keeps its token.
   */
  private async fetchFreshToken(): Promise<void> {
    const realtime = this.realtime as RealtimeClient & { accessToken?: unknown }
    if (typeof realtime.accessToken !== 'function') return
    await realtime.setAuth().catch(() => undefined)
  }

  private onTokenChange(refused: string | null, callback: () => void): () => void {
    const waiter = { refused, callback }
    this.tokenWaiters.add(waiter)
    // Heartbeats stop when the socket goes idle or down, so also look on our own timer while anyone waits.
    this.cancelTokenPoll ??= this.scheduler.every(this.options.heartbeatIntervalMs, () => void this.pollToken())
    return () => {
      this.tokenWaiters.delete(waiter)
      this.stopTokenPollIfIdle()
    }
  }

  private stopTokenPollIfIdle(): void {
    if (this.tokenWaiters.size > 0) return
    this.cancelTokenPoll?.()
    this.cancelTokenPoll = undefined
  }

  /**
   * supabase-js built with the `accessToken` option (third-party auth) hands realtime-js the callback's first token
   * as a fixed one, and realtime-js never asks the callback again: a user signing in, out or switching accounts
   * would stay joined as the first. On each heartbeat the callback is asked; when its answer differs from its last
   * one, realtime-js gets it (and pushes it to every joined channel). A token the app set by hand stays until the
   * callback itself changes its answer.
   */
  private async followTokenCallback(): Promise<void> {
    const callback = (this.client as { accessToken?: unknown } | undefined)?.accessToken
    if (typeof callback !== 'function' || this.followingToken || this.isDestroyed) return
    this.followingToken = true
    try {
      const fresh = await Promise.resolve((callback as () => unknown).call(this.client)).catch(() => undefined)
      if (typeof fresh !== 'string' || this.isDestroyed) return
      const previous = this.lastCallbackToken
      this.lastCallbackToken = fresh
      if (previous === undefined || previous === fresh || fresh === this.context.currentToken()) return
      await this.realtime.setAuth(fresh).catch(() => undefined)
      this.checkTokens()
    } finally {
      this.followingToken = false
    }
  }

  private checkTokens(): void {
    this.noteIdentity()
    if (this.tokenWaiters.size === 0) return
    const token = this.context.currentToken()
    for (const waiter of [...this.tokenWaiters]) {
      if (waiter.refused === token) continue
      this.tokenWaiters.delete(waiter)
      waiter.callback()
    }
    this.stopTokenPollIfIdle()
  }

  /**
   * A token the app set (`setAuth(token)`, a session refresh) shows in realtime-js at once. A newer token from the
   * `accessToken` callback does not until realtime-js asks it again (on a heartbeat, which an idle socket does not
   * send): ask it, and only if it has a different token hand that to realtime-js, so a token the app set by hand
   * is never replaced by an older one.
   */
  private async pollToken(): Promise<void> {
    this.checkTokens()
    const realtime = this.realtime as RealtimeClient & { accessToken?: unknown }
    if (this.tokenWaiters.size === 0 || typeof realtime.accessToken !== 'function') return
    const fresh = await Promise.resolve((realtime.accessToken as () => unknown)()).catch(() => undefined)
    if (this.isDestroyed || typeof fresh !== 'string' || fresh === this.context.currentToken()) return
    if (![...this.tokenWaiters].some((waiter) => waiter.refused !== fresh)) return
    await realtime.setAuth().catch(() => undefined)
    this.checkTokens()
  }

  private assertAlive(): void {
    if (this.isDestroyed) throw destroyed()
  }

  /**
   * A shared room on `topic` (broadcast, presence). Every holder of a topic shares one realtime channel; the
   * last `release()` leaves it after `graceMs`. Holders of a topic must pass the same options, or a `CONFIG_CONFLICT`
   * is thrown.
   *
   * A holder that passes no options (one that only listens or sends) takes the room as it is, private or public,
   * with whatever options its holders gave; if there is none it opens a public one with default options, which the
   * first holder that passes options re-creates with those (private included: the old channel is left before the
   * new one joins, and nothing the old one still delivers reaches a listener). Pass `{ private: true }` (or
   * `{ private: false }`) to be sure which one you hold.
   *
   * Private rooms (`{ private: true }`) join with the access token realtime-js holds (the session's, or the
   * `accessToken` option's, followed on every heartbeat). A refusal is reported to `onError` as `UNAUTHORIZED` with
   * the server's reason (also `room.error`, status 'errored') and retried once the token changes, never in a loop; a
   * token refresh re-authorizes the joined channel without a leave and join; losing read access on a refresh (the
   * server closes the channel) is reported the same way, and a closing at token expiry rejoins with a fresh token.
   * A private and a public room of one topic are different channels, but Phoenix allows one channel per topic on a
   * socket: while one is held, asking for the other throws `CONFIG_CONFLICT` (use two topic names).
   */
  channel(topic: string, givenOptions?: RoomOptions): RoomHandle {
    this.assertAlive()
    const options = givenOptions ?? (this.rooms.get(topic)?.closed === false ? this.rooms.get(topic)!.options : {})
    if (typeof topic !== 'string' || topic.trim() === '') throw invalidTopic(topic, 'it must be a non-empty string')
    if (topic.startsWith('realtime:')) throw invalidTopic(topic, 'leave out the "realtime:" prefix; realtime-js adds it')
    if (topic.startsWith('supasync:')) throw invalidTopic(topic, 'the "supasync:" prefix is reserved for the changes pool')
    if (new TextEncoder().encode(topic).length > MAX_TOPIC_BYTES) throw invalidTopic(topic, `it is longer than ${MAX_TOPIC_BYTES} bytes`)
    let room = this.rooms.get(topic)
    if (room && !room.sameOptions(options) && room.holders.size === 0) {
      // Only its grace period keeps it: nobody holds it, so reopen it with the new options.
      void room.close()
      room = undefined
    }
    if (room && givenOptions !== undefined && !room.sameOptions(options) && room.pinnedBy.size === 0) {
      // Its holders only listen or send (they passed no options): the room takes this holder's options.
      void room.reconfigure(options)
    }
    if (room && !room.sameOptions(options)) {
      const heldPrivate = room.options.private === true
      if (heldPrivate !== (options.private === true)) {
        const [held, asked] = heldPrivate ? ['private', 'public'] : ['public', 'private']
        throw new SupasyncError(
          'CONFIG_CONFLICT',
          `Channel "${topic}" is held as a ${held} channel, so it cannot be opened as a ${asked} one now: they are different ` +
            `channels on the server, and one realtime connection carries one channel per topic. Use two topic names ` +
            `(e.g. "${topic}" and "${topic}:${asked}"), or release every ${held} holder of "${topic}" first.`,
        )
      }
      throw new SupasyncError(
        'CONFIG_CONFLICT',
        `Channel "${topic}" is already held with options ${room.optionsKey}; holders of one topic share one channel and must pass the same options.`,
      )
    }
    if (!room) {
      // realtime-js keeps one channel object per topic: one opened by the app or another supasync instance on this
      // client would be handed to us as is (never subscribed by us) and killed by our release.
      // A channel of a room of ours that is still leaving is ours, not the app's: the new room waits for that leave.
      if (!isLeaving(this.realtime, topic) && this.realtime.getChannels().some((channel) => channel.topic === `realtime:${topic}`)) {
        throw new SupasyncError(
          'CONFIG_CONFLICT',
          `Channel "${topic}" is already open on this supabase client outside this supasync instance. Use one supasync instance per client and open the topic only through it.`,
        )
      }
      // Released rooms waiting out their grace period give way first, oldest release first.
      while (this.reservedChannels() + 1 >= this.options.maxChannels && this.evictIdleRoom()) {
        // evicted one; look again
      }
      if (this.reservedChannels() + 1 >= this.options.maxChannels) {
        throw new SupasyncError(
          'CHANNEL_LIMIT',
          `Opening "${topic}" would exceed maxChannels=${this.options.maxChannels} (one channel stays spare for swaps). Release rooms you no longer need, or use fewer distinct topics.`,
        )
      }
      room = new Room(this.context, topic, options, (closed) => {
        if (this.rooms.get(topic) === closed) this.rooms.delete(topic)
      })
      this.rooms.set(topic, room)
    }
    const handle: RoomHandle = new RoomHandle(room, () => room.removeHolder(handle))
    room.addHolder(handle)
    if (givenOptions !== undefined) room.pinnedBy.add(handle)
    this.monitor.recompute()
    return handle
  }

  /**
   * Subscribes `callback` to postgres_changes matching `spec`. Identical specs share one server binding;
   * distinct ones are packed onto as few channels as the limits allow.
   */
  changes<Row extends Record<string, unknown> = Record<string, unknown>>(
    spec: ChangeSpec,
    callback: (change: ChangePayload & { new: Partial<Row>; old: Partial<Row> }) => void,
    options?: ChangesOptions,
  ): ChangesLease {
    this.assertAlive()
    return this.changesPool.subscribe(spec, callback as (change: ChangePayload) => void, options)
  }

  /**
   * The environment ports this instance runs on (timers, network, visibility). Packages built on core (polling,
   * presence) take their clock and timers from here, so a test that fakes time for the instance fakes it for them.
   */
  get ports(): SupasyncPorts {
    return this.options.ports
  }

  /** `{ state, rttMs, channels, leases, since }`; see {@link ConnectionStatus}. */
  get status(): ReadableStore<ConnectionStatus> {
    return this.monitor.status
  }

  /**
   * How long a released room, binding or shared value stays in case it is acquired again, in ms (the `graceMs`
   * option).
   */
  get graceMs(): number {
    return this.options.graceMs
  }

  /**
   * One value per `kind` + `key` on this instance, shared by every holder and reference-counted: `create()` runs for
   * the first holder, `dispose(value)` after the last `release()` and `graceMs` without a new holder (or at
   * `destroy()`). The building block of `acquireLiveTable` and `createPresence`; bindings key it by value with
   * `stableKey`.
   */
  share<V>(kind: string, key: string, create: () => V, dispose: (value: V) => void): SharedLease<V> {
    this.assertAlive()
    return this.sharedValues.acquire(kind, key, create, dispose)
  }

  /** The shared value of `kind` + `key`, held or in its grace period, without acquiring it; undefined if none. */
  peekShared<V>(kind: string, key: string): V | undefined {
    return this.isDestroyed ? undefined : this.sharedValues.peek<V>(kind, key)
  }

  /** Disposes the shared value of `kind` + `key` now if only its grace period keeps it; false while someone holds it. */
  evictShared(kind: string, key: string): boolean {
    return this.sharedValues.evictIdle(kind, key)
  }

  /** Counters and latency histograms since creation. */
  metrics(): SupasyncMetrics {
    return this.recorder.snapshot()
  }

  /** Leak-check counts. */
  diagnostics(): SupasyncDiagnostics {
    let roomHolders = 0
    let roomListeners = 0
    for (const room of this.rooms.values()) {
      roomHolders += room.holders.size
      roomListeners += room.listenerCount
    }
    return {
      rooms: this.rooms.size,
      roomHolders,
      roomListeners,
      changeBindings: this.changesPool.bindingCount,
      changeLeases: this.changesPool.leaseCount,
      channels: this.channelCount(),
      timers: this.scheduler.pending,
      statusListeners: (this.monitor.status as { listenerCount?: number }).listenerCount ?? 0,
      eventListeners: this.events.listenerCount,
      shared: this.sharedValues.size,
      inspectListeners: this.inspector.listenerCount,
      inspectRegistrations: this.inspector.registrationCount,
    }
  }

  /**
   * Closes the room released longest ago that only its grace period keeps, so a new channel can have its slot.
   * Returns false when every room is held.
   */
  private evictIdleRoom(): boolean {
    let oldest: Room | undefined
    for (const room of this.rooms.values()) {
      if (room.closed || room.holders.size > 0) continue
      if (!oldest || room.releasedAt < oldest.releasedAt) oldest = room
    }
    if (!oldest) return false
    void oldest.close()
    return true
  }

  /** Every room holds a slot, even while its channel is being re-created. */
  private reservedChannels(): number {
    let rooms = 0
    for (const room of this.rooms.values()) if (!room.closed) rooms++
    return rooms + this.changesPool.reservedChannels
  }

  private channelCount(): number {
    let rooms = 0
    for (const room of this.rooms.values()) if (room.hasChannel) rooms++
    return rooms + this.changesPool.channelCount
  }

  private leaseCount(): number {
    let holders = 0
    for (const room of this.rooms.values()) holders += room.holders.size
    return holders + this.changesPool.leaseCount
  }

  private allJoined(): boolean {
    for (const room of this.rooms.values()) if (room.status.get() !== 'joined') return false
    return this.changesPool.allLive
  }

  /**
   * Leaves every channel this instance opened (no grace), stops the monitor, gives realtime-js its heartbeat
   * callback back and clears every timer. If supasync opened the socket and no channel of the app's own is left on
   * the client, the socket is disconnected too (realtime-js 2.109 would keep it open and Node would never exit).
   * A socket the app opened, or one still carrying the app's channels, stays as it is: the app closes it
   * (`supabase.removeAllChannels()` or `supabase.realtime.disconnect()`). The supabase client stays usable; a
   * later channel reconnects. Afterwards every call throws. Idempotent.
   */
  async destroy(): Promise<void> {
    if (this.isDestroyed) return
    this.isDestroyed = true
    // Shared values (live tables, presence) release their leases and rooms first, while the pool is still open.
    this.sharedValues.closeAll()
    this.monitor.stop()
    this.stopStatusEvents?.()
    this.stopStatusEvents = undefined
    this.stopHeartbeats()
    this.tokenWaiters.clear()
    this.stopTokenPollIfIdle()
    const ownTopics = new Set([...this.rooms.keys()].map((topic) => `realtime:${topic}`))
    const ownPrefix = `realtime:supasync:${this.instanceId}:`
    this.changesPool.close()
    await Promise.all([...this.rooms.values()].map((room) => room.close()))
    this.rooms.clear()
    this.scheduler.clearAll()
    const others = this.realtime.getChannels().filter((channel) => !ownTopics.has(channel.topic) && !channel.topic.startsWith(ownPrefix))
    if (this.openedSocket && others.length === 0) await this.realtime.disconnect().catch(() => undefined)
    this.events.clear()
    this.inspector.close()
  }
}
