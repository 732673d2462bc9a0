import type { RealtimeClient } from '@supabase/supabase-js'
import type { InspectHub } from './ChannelRecord.js'
import type { SupasyncError } from './errors.js'
import type { EventHub } from './events.js'
import type { MetricsRecorder } from './metrics.js'
import type { ResolvedOptions } from './options.js'
import type { Scheduler } from './Scheduler.js'

/** What the parts of one supasync instance share. Internal. */
export interface PoolContext {
  realtime: RealtimeClient
  /** Structured events for monitoring (`sync.onEvent`); test `events.active` before building one. */
  events: EventHub
  /** Told of every change `sync.inspect()` shows (channel records, the connection), so quiet reads build nothing. */
  inspect: InspectHub
  options: ResolvedOptions
  scheduler: Scheduler
  metrics: MetricsRecorder
  /** Resolves once realtime-js holds the current access token, so no join goes out as anon by accident. */
  authReady(): Promise<void>
  /** Asks realtime-js to fetch the token again (before re-creating a channel the server closed at token expiry). */
  refreshAuth(): Promise<void>
  /**
   * Channels to budget against maxChannels: those in use (make-before-break replacements included) plus the slots
   * of rooms and hosts waiting to re-create theirs, so a swap elsewhere cannot take them.
   */
  channelCount(): number
  /** Called whenever a channel's state changes, so the connection status can be recomputed. */
  changed(): void
  reportError(error: SupasyncError): void
  random(): number
  /**
   * The socket is open and answered a heartbeat within the last two intervals. A join that times out on an
   * unproven socket is the socket's fault, not the server's refusal.
   */
  socketProven(): boolean
  /** The access token realtime-js joins with now (null before it has one). */
  currentToken(): string | null
  /**
   * Calls `callback` once a token other than `refused` is available (the app's `setAuth`, a session refresh, or a
   * newer token from the `accessToken` callback). Returns a cancel function.
   */
  onTokenChange(refused: string | null, callback: () => void): () => void
  /** Called right before supasync subscribes a channel: notes whether it is supasync that opens the socket. */
  willSubscribe(): void
}
