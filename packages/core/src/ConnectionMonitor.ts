import type { PoolContext } from './context.js'
import { ensureHeartbeatHub, listenToHeartbeats } from './heartbeatHub.js'
import { createStore, shallowEqual, type ReadableStore } from './store.js'

/** The connection as the app should present it. */
export type ConnectionState = 'connecting' | 'live' | 'degraded' | 'offline'

/** What `sync.status` holds. */
export interface ConnectionStatus {
  /**
   * 'live' only when the socket answered a heartbeat within the last two intervals and every channel is joined;
   * 'connecting' until the first time that holds; 'degraded' after it held once and no longer does;
   * 'offline' when the network port says so, or the socket has been down for two heartbeat intervals.
   * An idle instance (no channel, no lease) is 'live' while online: nothing can arrive late.
   */
  state: ConnectionState
  /** Last heartbeat round trip, in ms; undefined before the first reply. */
  rttMs: number | undefined
  /** Realtime channels held by this instance (rooms + changes channels). */
  channels: number
  /** Room holders + changes leases. */
  leases: number
  /** When `state` last changed (TimerPort clock, ms). */
  since: number
  /**
   * The socket itself is proven: connected, and a heartbeat answered within the last two intervals. Unlike `state`,
   * it ignores channels: one channel the server refuses makes `state` 'degraded' but says nothing about the others.
   */
  socketProven: boolean
  /**
   * When the last heartbeat reply arrived (TimerPort clock, ms); undefined before the first. Messages on a socket
   * arrive in order, so whatever the server sent before that reply has arrived too.
   */
  heartbeatAt: number | undefined
}

/** Inputs the state is derived from; one place decides the state (see {@link deriveState}). */
export interface MonitorInputs {
  online: boolean
  connected: boolean
  /** A heartbeat reply arrived within the last two intervals while connected. */
  proven: boolean
  allJoined: boolean
  everLive: boolean
  /** How long the socket has been down, in ms (0 when connected). */
  downForMs: number
  heartbeatIntervalMs: number
  /** No channel is held: nothing can be delivered late, and realtime-js closes an unused socket. */
  idle?: boolean
}

export function deriveState(inputs: MonitorInputs): ConnectionState {
  if (!inputs.online) return 'offline'
  if (inputs.idle) return 'live'
  if (inputs.connected && inputs.proven && inputs.allJoined) return 'live'
  if (!inputs.connected && inputs.downForMs >= 2 * inputs.heartbeatIntervalMs) return 'offline'
  return inputs.everLive ? 'degraded' : 'connecting'
}

/**
 * The status before anything is known: what bindings render on the server and during hydration, the same object every
 * time, so server markup and the first client render agree.
 */
export const INITIAL_STATUS: ConnectionStatus = Object.freeze({
  state: 'connecting',
  rttMs: undefined,
  channels: 0,
  leases: 0,
  since: 0,
  socketProven: false,
  heartbeatAt: undefined,
})

/**
 * Liveness for one realtime client. realtime-js sends a heartbeat every 25 s and notices a silently dead socket
 * 25–50 s late; the monitor drives the same heartbeat at `heartbeatIntervalMs` (realtime-js treats a heartbeat
 * still unanswered at the next send as a timeout, errors its channels and reconnects), so a dead socket is
 * noticed within two intervals. Network and visibility changes trigger an immediate probe.
 */
export class ConnectionMonitor {
  private readonly store: ReturnType<typeof createStore<ConnectionStatus>>
  private lastOkAt: number | undefined
  /** When the heartbeat now awaiting its reply was sent (by us or by realtime-js's own timer). */
  private pendingSince: number | undefined
  private downSince: number | undefined
  /** The status was 'live' with a channel or lease held (an idle instance's 'live' proves no socket). */
  private everLive = false
  /** The socket was seen open once: seeing it open again after it was down is a reconnect. */
  private everConnected = false
  /** Since when realtime-js has been trying to open the socket (TimerPort clock), while it is. */
  private connectingSince: number | undefined
  private unsticking = false
  private rttMs: number | undefined
  private readonly cleanups: (() => void)[] = []
  private stopped = false
  /** Cancels the heartbeat interval; undefined while the instance is idle (nothing to prove, no timer kept). */
  private cancelTicks: (() => void) | undefined

  constructor(
    private readonly context: PoolContext,
    private readonly counts: () => { channels: number; leases: number; allJoined: boolean },
    /** Told whether the instance holds nothing (no channel, no lease): the owner may close an idle socket. */
    private readonly onIdle: (idle: boolean) => void = () => {},
  ) {
    this.store = createStore<ConnectionStatus>(
      { state: 'connecting', rttMs: undefined, channels: 0, leases: 0, since: context.scheduler.now(), socketProven: false, heartbeatAt: undefined },
      shallowEqual,
    )
  }

  get status(): ReadableStore<ConnectionStatus> {
    return this.store
  }

  start(): void {
    const { realtime, options, scheduler } = this.context
    this.cleanups.push(listenToHeartbeats(realtime, (status, latency) => this.onHeartbeat(status, latency)))
    this.cleanups.push(() => this.cancelTicks?.())
    this.cleanups.push(
      options.ports.network.subscribe((online) => {
        if (online) this.probe()
        this.recompute()
      }),
    )
    this.cleanups.push(
      options.ports.visibility.subscribe((visible) => {
        // Back from a sleeping tab or phone: find out now whether the socket survived.
        if (visible) this.probe()
      }),
    )
    this.recompute()
  }

  private onHeartbeat(status: string, latency: number | undefined): void {
    if (this.stopped) return
    if (status === 'sent') {
      this.pendingSince = this.context.scheduler.now()
      return
    }
    this.pendingSince = undefined
    if (status === 'ok') {
      this.lastOkAt = this.context.scheduler.now()
      if (latency !== undefined) {
        this.rttMs = Math.round(latency)
        this.context.metrics.rtt.record(latency)
      }
    } else if (status === 'timeout') {
      this.context.metrics.counters.heartbeatTimeouts++
      this.lastOkAt = undefined
      this.context.inspect.connectionChanged()
    }
    this.recompute()
  }

  /** Sends a heartbeat now if connected; reconnects if the network is up but the socket is not. */
  probe(): void {
    const { realtime, options } = this.context
    if (!options.ports.network.isOnline()) return
    if (realtime.isConnected()) this.heartbeat()
    else if (this.counts().channels > 0 && !realtime.isConnecting()) realtime.connect()
  }

  /**
   * realtime-js declares a timeout when a heartbeat is sent while the previous one is unanswered. A heartbeat
   * realtime-js's own timer sent a moment ago must get its full interval first, or a healthy socket would be cut.
   */
  private heartbeat(): void {
    const now = this.context.scheduler.now()
    const realtime = this.context.realtime
    // realtime-js's own record of an unanswered heartbeat is the truth; our callback-based record may be blind
    // if the app replaced the callback. A fresh pending one gets its full interval before it counts as lost.
    if (realtime.pendingHeartbeatRef) {
      this.pendingSince ??= now
      if (now - this.pendingSince < this.context.options.heartbeatIntervalMs * 0.9) return
    }
    void realtime.sendHeartbeat()
  }

  private tick(): void {
    ensureHeartbeatHub(this.context.realtime)
    if (this.context.realtime.isConnected()) this.heartbeat()
    this.unstick()
    this.recompute()
  }

  /**
   * Node's built-in WebSocket (undici, Node 22) can stay CONNECTING for good when the server drops the TCP
   * connection during the handshake (a restarting server, a proxy): it fires 'error' but never 'close', so
   * realtime-js never schedules a reconnect and the socket stays down. An attempt still connecting after two
   * heartbeat intervals is torn down and a new one started (realtime-js rejoins the channels when it opens).
   */
  private unstick(): void {
    const { realtime, options, scheduler } = this.context
    if (this.unsticking) return
    if (!realtime.isConnecting() || realtime.isConnected() || this.counts().channels === 0 || !options.ports.network.isOnline()) {
      this.connectingSince = undefined
      return
    }
    const now = scheduler.now()
    this.connectingSince ??= now
    if (now - this.connectingSince < 2 * options.heartbeatIntervalMs) return
    this.connectingSince = undefined
    this.unsticking = true
    this.context.metrics.counters.stuckConnects++
    void realtime
      .disconnect()
      .catch(() => undefined)
      .then(() => {
        this.unsticking = false
        if (!this.stopped && this.counts().channels > 0 && !realtime.isConnected() && !realtime.isConnecting()) realtime.connect()
      })
  }

  /**
   * Connected, and a heartbeat answered within the last two intervals. The pool asks it too, to tell a channel
   * error caused by a dead socket from a join the server refused.
   */
  socketProven(): boolean {
    const { realtime, options, scheduler } = this.context
    return realtime.isConnected() && this.lastOkAt !== undefined && scheduler.now() - this.lastOkAt <= 2 * options.heartbeatIntervalMs
  }

  /** Re-derives the status; called on every input change. */
  recompute(): void {
    if (this.stopped) return
    const { realtime, options, scheduler } = this.context
    const now = scheduler.now()
    const connected = realtime.isConnected()
    if (connected && this.downSince !== undefined && this.everConnected) {
      this.context.metrics.counters.reconnects++
      this.context.inspect.connectionChanged()
    }
    if (connected) {
      this.downSince = undefined
      this.everConnected = true
    } else this.downSince ??= now
    const counts = this.counts()
    const idle = counts.channels === 0 && counts.leases === 0
    // Heartbeats only while something is held: an idle instance keeps no timer, so a Node process can exit and a
    // released tree leaves nothing running.
    if (idle && this.cancelTicks) {
      this.cancelTicks()
      this.cancelTicks = undefined
    } else if (!idle && !this.cancelTicks) {
      this.cancelTicks = scheduler.every(options.heartbeatIntervalMs, () => this.tick())
    }
    this.onIdle(idle)
    const proven = this.socketProven()
    // Connected but unproven (just opened, or reconnected): prove it now rather than at the next tick.
    if (connected && !proven && !realtime.pendingHeartbeatRef) this.heartbeat()
    const state = deriveState({
      online: options.ports.network.isOnline(),
      connected,
      proven,
      allJoined: counts.allJoined,
      everLive: this.everLive,
      downForMs: this.downSince === undefined ? 0 : now - this.downSince,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      idle,
    })
    // Only a live socket with channels counts: an idle instance is 'live' too, and its first channel must show
    // 'connecting' while it opens, not 'degraded' (a "reconnecting" banner on every app start).
    if (state === 'live' && (counts.channels > 0 || counts.leases > 0)) this.everLive = true
    const previous = this.store.get()
    // shallowEqual keeps the reference when nothing changed: then sync.inspect() has nothing new either.
    this.store.set({
      state,
      rttMs: this.rttMs,
      channels: counts.channels,
      leases: counts.leases,
      since: state === previous.state ? previous.since : now,
      socketProven: proven,
      heartbeatAt: this.lastOkAt ?? previous.heartbeatAt,
    })
    if (this.store.get() !== previous) this.context.inspect.connectionChanged()
  }

  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.cancelTicks?.()
    this.cancelTicks = undefined
    for (const cleanup of this.cleanups.splice(0)) cleanup()
    this.store.set({ ...this.store.get(), state: 'offline', channels: 0, leases: 0, socketProven: false })
    this.context.inspect.connectionChanged()
  }
}
