import type { ConnectionState } from './ConnectionMonitor.js'

/**
 * A structured event of a supasync instance and the packages built on it, for monitoring (OpenTelemetry, Sentry,
 * PostHog, logs). Events carry names, counts and durations only: never tokens, payloads or row data. `at` is wall
 * time (epoch ms, the ports' clock).
 */
export type SupasyncEvent =
  /** The connection status changed (`sync.status`). */
  | { type: 'status'; at: number; state: ConnectionState; previous: ConnectionState; rttMs: number | undefined }
  /** A channel was joined (first join or rejoin); `ms` from opening it to SUBSCRIBED. */
  | { type: 'join'; at: number; topic: string; kind: 'room' | 'changes'; private: boolean; ms: number }
  /**
   * A channel went away: the server closed it (`reason` in its words when it gave any), a join was refused, or
   * supasync left it after the last holder (`by: 'release'`).
   */
  | { type: 'channel-close'; at: number; topic: string; kind: 'room' | 'changes'; by: 'server' | 'refused' | 'release'; reason: string | undefined }
  /** A live table read through PostgREST (initial load, catch-up, verification or fallback poll). */
  | { type: 'poll'; at: number; table: string; purpose: 'load' | 'catch-up' | 'verify' | 'poll'; rows: number; ms: number; ok: boolean }
  /** A verification poll found rows realtime should have delivered by then (lost or late events). */
  | { type: 'missed-by-realtime'; at: number; table: string; count: number }
  /** A queue flush finished: how many operations were sent and how many still wait to be sent (dead letters not counted). */
  | { type: 'queue-flush'; at: number; queue: string; sent: number; remaining: number; ms: number }
  /**
   * A queued operation was refused for good and moved to the dead letters. `reason`: the server's message with the
   * values it quotes removed (see redactValues); `status` and `pgCode` as the server answered.
   */
  | { type: 'dead-letter'; at: number; queue: string; id: string; table: string; reason: string; status: number | undefined; pgCode: string | undefined }
  /** A presence call waits for the server's 5-calls-per-30-s budget. */
  | { type: 'presence-wait'; at: number; topic: string; ms: number }

/** An event as emitted, before the hub stamps `at`. */
export type SupasyncEventInput = SupasyncEvent extends infer Event ? (Event extends SupasyncEvent ? Omit<Event, 'at'> : never) : never

/** Every event type, for consumers that route by type. */
export const SUPASYNC_EVENT_TYPES = ['status', 'join', 'channel-close', 'poll', 'missed-by-realtime', 'queue-flush', 'dead-letter', 'presence-wait'] as const satisfies readonly SupasyncEvent['type'][]

/**
 * Fans events out to listeners. With no listener an emit costs one size check: callers test `active` before they
 * build an event, so a quiet instance allocates nothing.
 */
export class EventHub {
  private readonly listeners = new Set<(event: SupasyncEvent) => void>()

  constructor(private readonly wallNow: () => number) {}

  /** True while someone listens. */
  get active(): boolean {
    return this.listeners.size > 0
  }

  get listenerCount(): number {
    return this.listeners.size
  }

  on(listener: (event: SupasyncEvent) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('onEvent(listener): listener must be a function')
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  emit(input: SupasyncEventInput): void {
    if (this.listeners.size === 0) return
    const event = { ...input, at: this.wallNow() } as SupasyncEvent
    for (const listener of [...this.listeners]) {
      try {
        listener(event)
      } catch (error) {
        // A monitoring hook that throws must not break the SDK; the error still surfaces.
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  clear(): void {
    this.listeners.clear()
  }
}
