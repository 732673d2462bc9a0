/** Machine-readable reason of a {@link SupasyncError}. */
export type SupasyncErrorCode =
  | 'INVALID_TOPIC'
  | 'INVALID_FILTER'
  | 'INVALID_OPTIONS'
  | 'RELEASED'
  | 'DESTROYED'
  | 'PAYLOAD_TOO_LARGE'
  /** A payload or state holds a value JSON cannot carry faithfully (BigInt, NaN, Map, a cycle…); the message names its path. */
  | 'UNSERIALIZABLE'
  | 'CHANNEL_LIMIT'
  | 'CONFIG_CONFLICT'
  | 'SUBSCRIPTION_FAILED'
  | 'UNAUTHORIZED'
  | 'JOIN_REFUSED'
  | 'PRESENCE_REJECTED'
  /** A shared value (live table, presence room) threw while it was being closed; it was dropped anyway. */
  | 'DISPOSE_FAILED'
  /** `sync.inspectActions` named a queue that is not registered (destroyed, or from another instance's snapshot). */
  | 'UNKNOWN_QUEUE'

/**
 * Every error supasync throws or reports: `code` for programs, a message that says how to fix the cause.
 * Packages built on core (queue) extend it with their own codes via the type parameter.
 */
export class SupasyncError<Code extends string = SupasyncErrorCode> extends Error {
  override name = 'SupasyncError'
  /** The Realtime server's own words when it refused or closed a channel (`Unauthorized: …`), verbatim. */
  readonly reason: string | undefined
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown; reason?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.reason = options?.reason
  }
}

export const invalidTopic = (topic: unknown, why: string) =>
  new SupasyncError('INVALID_TOPIC', `Invalid channel topic ${JSON.stringify(topic)}: ${why}`)

export const released = (what: string) =>
  new SupasyncError('RELEASED', `${what} was already released. Acquire a new one with sync.channel() or sync.changes() instead of reusing it.`)

export const destroyed = () =>
  new SupasyncError('DESTROYED', 'This supasync instance was destroyed. Create a new one with createSupasync(supabase).')
