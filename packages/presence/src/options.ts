import { checkJsonSafe, defaultPorts, SupasyncError, type RoomOptions, type TimerPort, type VisibilityPort } from '@supasync/core'
import type { PresenceState } from './types.js'

/** `S` without inferring it from the value (TypeScript's `NoInfer`, spelled so that TypeScript < 5.4 reads it too). */
/** `S`, but not inferred from the value (the initial state does not narrow the room's type). */
export type NoInferState<S> = [S][S extends unknown ? 0 : never]

/** Options of {@link createPresence}. Only `key` is required. */
export interface PresenceOptions<S extends object = PresenceState> {
  /** This client's presence key, usually the user id. Every tab and device with the same key is one member. */
  key: string
  /**
   * The state this client publishes at first (name, role…); change it with `update()`. Default `{}`. It does not
   * narrow the room's state type (so `update()` may add fields): pass the type as `createPresence<MyState>(…)`.
   * It must be JSON-safe (no BigInt, NaN, Map, class instances, cycles…): otherwise `UNSERIALIZABLE` is thrown.
   */
  state?: NoInferState<S>
  /** A tab hidden for this long turns the connection `away`, in ms. Default 60 000. */
  awayAfterMs?: number
  /** How long an `offline` member stays listed (with `lastSeen`) before it leaves the list, in ms. Default 300 000. */
  offlineRetentionMs?: number
  /** `setTyping(true)` lasts this long after its latest call, in ms. Default 5000. */
  typingTimeoutMs?: number
  /**
   * A connection that disappears from the server's presence state is still counted this long, in ms, in case
   * it is only reconnecting (a dropped socket, a rejoin): members do not flash out and in. It is also how much
   * later a member whose socket died for good turns `offline`; a connection that announced its `leave()` (see the
   * README, "Leaving") is dropped at once instead. Default 10 000.
   */
  reconnectGraceMs?: number
  /**
   * Presence calls (track/untrack) this client makes per channel in any `callWindowMs`. The server shuts the
   * channel down at the 6th call in 30 s; the default 4 keeps one spare (for `leave()`). Default 4.
   */
  maxCallsPerWindow?: number
  /** The window of `maxCallsPerWindow`, in ms: the server's 30 s plus a margin for latency. Default 31 000. */
  callWindowMs?: number
  /** Least time between two presence calls, in ms, so a burst of updates is coalesced into few calls. Default 1000. */
  minCallIntervalMs?: number
  /**
   * Further options of the shared room (`sync.channel(topic, …)`), e.g. `{ broadcast: { ack: true } }` when the
   * same topic also carries broadcasts. Holders of one topic must agree on them. Default `{}`.
   */
  channel?: Omit<RoomOptions, 'presence'>
  /** Time and tab visibility; tests pass fakes. Default: the supasync instance's (`sync.ports`). */
  ports?: { timers?: TimerPort; visibility?: VisibilityPort }
  /** Receives errors that have no caller to throw to (a track the server refused). Default: console.warn. */
  onError?: (error: SupasyncError) => void
}

/** Options with defaults applied. Internal. */
export interface ResolvedPresenceOptions {
  key: string
  awayAfterMs: number
  offlineRetentionMs: number
  typingTimeoutMs: number
  reconnectGraceMs: number
  maxCallsPerWindow: number
  callWindowMs: number
  minCallIntervalMs: number
  channel: Omit<RoomOptions, 'presence'>
  timers: TimerPort
  visibility: VisibilityPort
  onError: (error: SupasyncError) => void
}

const invalid = (message: string) => new SupasyncError('INVALID_OPTIONS', `createPresence: ${message}`)

const number = (name: string, value: number | undefined, fallback: number, minimum: number, integer = false): number => {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum || (integer && !Number.isInteger(value))) {
    throw invalid(`${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${minimum}, got ${String(value)}.`)
  }
  return value
}

export function resolvePresenceOptions(options: PresenceOptions<PresenceState>): ResolvedPresenceOptions {
  if (!options || typeof options !== 'object') throw invalid('pass options with at least { key }.')
  if (typeof options.key !== 'string' || options.key.trim() === '') {
    throw invalid(`key must be a non-empty string (usually the user id), got ${JSON.stringify(options.key)}.`)
  }
  const state: unknown = options.state
  if (state !== undefined && (typeof state !== 'object' || state === null || Array.isArray(state))) {
    throw invalid('state must be a plain object (it is sent as the presence payload).')
  }
  const problem = state === undefined ? undefined : checkJsonSafe(state, 'state')
  if (problem) throw new SupasyncError('UNSERIALIZABLE', `createPresence: ${problem.message}`)
  const resolved: ResolvedPresenceOptions = {
    key: options.key,
    awayAfterMs: number('awayAfterMs', options.awayAfterMs, 60_000, 0),
    offlineRetentionMs: number('offlineRetentionMs', options.offlineRetentionMs, 300_000, 0),
    typingTimeoutMs: number('typingTimeoutMs', options.typingTimeoutMs, 5000, 1),
    reconnectGraceMs: number('reconnectGraceMs', options.reconnectGraceMs, 10_000, 0),
    maxCallsPerWindow: number('maxCallsPerWindow', options.maxCallsPerWindow, 4, 1, true),
    callWindowMs: number('callWindowMs', options.callWindowMs, 31_000, 1),
    minCallIntervalMs: number('minCallIntervalMs', options.minCallIntervalMs, 1000, 0),
    channel: options.channel ?? {},
    timers: options.ports?.timers ?? defaultPorts.timers,
    visibility: options.ports?.visibility ?? defaultPorts.visibility,
    onError: options.onError ?? ((error) => console.warn(`[supasync] ${error.message}`)),
  }
  if (resolved.minCallIntervalMs >= resolved.callWindowMs) {
    throw invalid(`minCallIntervalMs (${resolved.minCallIntervalMs}) must be shorter than callWindowMs (${resolved.callWindowMs}).`)
  }
  return resolved
}

/** The options every holder of one topic on one supasync instance shares; they must agree. */
export function sharedOptionsKey(options: ResolvedPresenceOptions): string {
  const { key, awayAfterMs, offlineRetentionMs, typingTimeoutMs, reconnectGraceMs, maxCallsPerWindow, callWindowMs, minCallIntervalMs } = options
  return JSON.stringify({ key, awayAfterMs, offlineRetentionMs, typingTimeoutMs, reconnectGraceMs, maxCallsPerWindow, callWindowMs, minCallIntervalMs })
}
