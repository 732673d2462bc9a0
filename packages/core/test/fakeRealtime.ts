/**
 * A stand-in for realtime-js 2.109's RealtimeClient, just enough of it for unit tests of the pool: channels record
 * their listeners and subscribe callback, and the test plays the server (SUBSCRIBED, join error replies, socket
 * errors, system messages, phx_close) by calling the callbacks. Integration tests use the real supabase-js.
 */
import type { RealtimeClient } from '@supabase/supabase-js'
import { manualClock } from '../../presence/test/helpers.js'
import { createSupasync, type SupasyncError, type SupasyncOptions } from '../src/index.js'

type Callback = (...args: never[]) => void

export class FakeChannel {
  state: 'closed' | 'joining' | 'joined' | 'errored' | 'leaving' = 'closed'
  readonly listeners: { type: string; filter: Record<string, unknown>; callback: Callback }[] = []
  statusCallback: ((status: string, error?: Error) => void) | undefined
  removed = false
  presence: Record<string, Record<string, unknown>[]> = {}

  constructor(
    readonly topic: string,
    readonly params: unknown,
    readonly client: FakeRealtime,
  ) {}

  get socket() {
    return { isConnected: () => this.client.connected }
  }

  on(type: string, filter: Record<string, unknown>, callback: Callback): this {
    this.listeners.push({ type, filter, callback })
    return this
  }

  subscribe(callback: (status: string, error?: Error) => void): this {
    this.statusCallback = callback
    this.state = 'joining'
    this.client.subscribes++
    return this
  }

  presenceState() {
    return this.presence
  }

  track = async () => 'ok'
  untrack = async () => 'ok'
  send = async () => 'ok'

  // ---- the test plays the server ----

  joined(): void {
    this.state = 'joined'
    this.statusCallback?.('SUBSCRIBED')
  }

  /** A join error reply, as realtime-js reports it: CHANNEL_ERROR with the server's response as the cause. */
  refuse(reason: string): void {
    this.state = 'errored'
    this.statusCallback?.('CHANNEL_ERROR', new Error(reason, { cause: { reason } }))
  }

  /** A socket-level error (realtime-js's triggerChanError on a heartbeat timeout or socket close). */
  socketError(message = 'heartbeat timeout'): void {
    this.state = 'errored'
    this.statusCallback?.('CHANNEL_ERROR', new Error(message))
  }

  timedOut(): void {
    this.state = 'errored'
    this.statusCallback?.('TIMED_OUT')
  }

  /**
   * The server's shutdown: a system error, then phx_close. realtime-js drops a closed channel from its list (the
   * constructor's `_onClose(() => socket._remove(this))`), so the next `channel(topic)` makes a new one.
   */
  serverClose(message?: string): void {
    if (message !== undefined) this.system({ extension: 'system', status: 'error', message })
    this.state = 'closed'
    this.client.channels = this.client.channels.filter((other) => other !== this)
    this.statusCallback?.('CLOSED')
  }

  system(payload: Record<string, unknown>): void {
    for (const listener of this.listeners) if (listener.type === 'system') (listener.callback as (payload: unknown) => void)(payload)
  }

  presenceEvent(event: 'sync' | 'join' | 'leave', payload: Record<string, unknown> = {}): void {
    for (const listener of this.listeners) {
      if (listener.type === 'presence' && listener.filter.event === event) (listener.callback as (payload: unknown) => void)({ event, ...payload })
    }
  }
}

export class FakeRealtime {
  channels: FakeChannel[] = []
  /** Every channel ever created, in order. */
  created: FakeChannel[] = []
  connected = true
  connecting = false
  subscribes = 0
  disconnects = 0
  accessTokenValue: string | null = 'token-1'
  accessToken: (() => Promise<string | null>) | null = null
  pendingHeartbeatRef: string | null = null
  readonly socketAdapter: { heartbeatCallback: (status: string, latency?: number) => void } = { heartbeatCallback: () => {} }
  /** realtime-js's own callback, before anyone hooked into the slot. */
  readonly originalHeartbeatCallback = this.socketAdapter.heartbeatCallback

  channel(topic: string, params?: unknown): FakeChannel {
    const full = `realtime:${topic}`
    const existing = this.channels.find((channel) => channel.topic === full)
    if (existing) return existing
    const channel = new FakeChannel(full, params, this)
    this.channels.push(channel)
    this.created.push(channel)
    return channel
  }

  /** Live channels of a topic (without the `realtime:` prefix). */
  byTopic(topic: string): FakeChannel[] {
    return this.created.filter((channel) => channel.topic === `realtime:${topic}`)
  }

  getChannels(): FakeChannel[] {
    return this.channels
  }

  async removeChannel(channel: FakeChannel): Promise<'ok'> {
    channel.removed = true
    this.channels = this.channels.filter((other) => other !== channel)
    channel.state = 'closed'
    // realtime-js fires CLOSED synchronously while tearing down a channel we left.
    channel.statusCallback?.('CLOSED')
    return 'ok'
  }

  isConnected = () => this.connected
  isConnecting = () => this.connecting
  connect = () => {
    this.connected = true
  }
  async disconnect(): Promise<'ok'> {
    this.disconnects++
    this.connected = false
    return 'ok'
  }
  async sendHeartbeat(): Promise<void> {
    this.pendingHeartbeatRef = 'hb'
    this.socketAdapter.heartbeatCallback('sent')
  }
  /** The server answers the pending heartbeat. */
  heartbeatOk(latency = 5): void {
    this.pendingHeartbeatRef = null
    this.socketAdapter.heartbeatCallback('ok', latency)
  }
  heartbeatTimeout(): void {
    this.pendingHeartbeatRef = null
    this.socketAdapter.heartbeatCallback('timeout')
  }
  async setAuth(token: string | null = null): Promise<void> {
    if (token) this.accessTokenValue = token
    else if (this.accessToken) this.accessTokenValue = await this.accessToken()
  }
  _isManualToken = () => false
  onHeartbeat(callback: (status: string, latency?: number) => void): void {
    this.socketAdapter.heartbeatCallback = callback
  }

  asClient(): { realtime: RealtimeClient } {
    return { realtime: this as unknown as RealtimeClient }
  }
}

/** Lets pending promise callbacks (auth waits, rebuild microtasks) run. */
export const flush = async () => {
  for (let index = 0; index < 10; index++) await Promise.resolve()
}

/**
 * A supasync instance over a fresh FakeRealtime and a manual clock, with its errors collected; `advance` steps the
 * clock in 100 ms slices so promise callbacks between timers (auth waits, rebuilds) run in order.
 */
export function fakeSupasync(options: SupasyncOptions = {}) {
  const realtime = new FakeRealtime()
  const clock = manualClock(0)
  const errors: SupasyncError[] = []
  const sync = createSupasync(realtime.asClient(), { ports: { timers: clock }, onError: (error) => errors.push(error), ...options })
  const advance = async (ms: number) => {
    for (let left = ms; left > 0; left -= 100) {
      clock.advance(Math.min(100, left))
      await flush()
    }
  }
  return { realtime, clock, errors, sync, advance }
}
