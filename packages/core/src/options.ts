import type { RealtimeClient } from '@supabase/supabase-js'
import { SupasyncError } from './errors.js'
import { defaultPorts, type SupasyncPorts } from './ports.js'

/** Options of {@link createSupasync}. Every field is optional. */
export interface SupasyncOptions {
  /** Realtime channels this instance may have on the socket at once (rooms + changes channels). Default 100, the server's per-socket limit. */
  maxChannels?: number
  /** How long a released room or binding stays joined in case it is acquired again (StrictMode, route changes), in ms. Default 1000. */
  graceMs?: number
  /** Liveness probe interval, in ms. A silently dead socket is noticed within twice this. Default 5000 (noticed within 10 s). */
  heartbeatIntervalMs?: number
  /** Distinct postgres_changes bindings packed onto one channel before another is opened. Default 100. */
  maxBindingsPerChannel?: number
  /** Largest broadcast payload `send()` accepts, in bytes of JSON. Default 256 000 (hosted Free plan limit; Pro allows 3 000 000). */
  maxBroadcastBytes?: number
  /** How long `send()` waits for the room to be joined before answering 'timed out', in ms. Default 10 000. */
  sendTimeoutMs?: number
  /** How long after SUBSCRIBED to wait for the server's "Subscribed to PostgreSQL" before treating a changes channel as live anyway, in ms. Default 10 000. */
  postgresReadyTimeoutMs?: number
  /**
   * Consecutive refusals of one channel (joins the server refused, or closes within 30 s of a join) before its circuit
   * opens. Errors of a dead socket never count. Default 5 (failures).
   */
  breakerThreshold?: number
  /** How long an open circuit waits before the next join attempt, in ms (jittered: between half and all of it). Default 60 000. */
  breakerOpenMs?: number
  /** Receives errors that have no caller to throw to (a failed rejoin, a subscription the server refused). Default: console.warn. */
  onError?: (error: SupasyncError) => void
  /** Environment ports (timers, network, visibility); tests pass fakes. Default: the browser's, inert in Node. */
  ports?: Partial<SupasyncPorts>
}

/** Options with defaults applied. */
export interface ResolvedOptions extends Required<Omit<SupasyncOptions, 'ports' | 'onError'>> {
  ports: SupasyncPorts
  onError: (error: SupasyncError) => void
}

const positive = (name: string, value: number | undefined, fallback: number, minimum = 1): number => {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum) {
    throw new SupasyncError('INVALID_OPTIONS', `createSupasync: ${name} must be a number ≥ ${minimum}, got ${String(value)}.`)
  }
  return value
}

export function resolveOptions(options: SupasyncOptions = {}): ResolvedOptions {
  return {
    maxChannels: positive('maxChannels', options.maxChannels, 100, 2),
    graceMs: positive('graceMs', options.graceMs, 1000, 0),
    heartbeatIntervalMs: positive('heartbeatIntervalMs', options.heartbeatIntervalMs, 5000, 100),
    maxBindingsPerChannel: positive('maxBindingsPerChannel', options.maxBindingsPerChannel, 100),
    maxBroadcastBytes: positive('maxBroadcastBytes', options.maxBroadcastBytes, 256_000),
    sendTimeoutMs: positive('sendTimeoutMs', options.sendTimeoutMs, 10_000, 0),
    postgresReadyTimeoutMs: positive('postgresReadyTimeoutMs', options.postgresReadyTimeoutMs, 10_000, 0),
    breakerThreshold: positive('breakerThreshold', options.breakerThreshold, 5),
    breakerOpenMs: positive('breakerOpenMs', options.breakerOpenMs, 60_000, 0),
    onError: options.onError ?? ((error) => console.warn(`[supasync] ${error.message}`)),
    ports: { ...defaultPorts, ...options.ports },
  }
}

/** What createSupasync accepts: a supabase-js client, or anything with its `realtime` client. */
export interface RealtimeHost {
  realtime: RealtimeClient
}
