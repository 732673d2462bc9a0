import { SupasyncError } from '@supasync/core'

/** Machine-readable reason of a {@link QueueError}. */
export type QueueErrorCode =
  /** `enqueue` was refused: the queue holds `maxSize` unsaved writes. */
  | 'QUEUE_FULL'
  /** The operation passed to `enqueue` is malformed (see the message for the field). */
  | 'INVALID_OPERATION'
  /** The operation passed to `enqueue` holds a value JSON cannot carry faithfully (BigInt, NaN, Map, a cycle…): the message names its path. */
  | 'UNSERIALIZABLE'
  /** The queue options are invalid. */
  | 'INVALID_OPTIONS'
  /** The storage refused a read or write (quota, permissions, disk full). */
  | 'STORAGE_FAILED'
  /** A stored entry could not be read back (truncated, edited, checksum mismatch): it is quarantined. */
  | 'CORRUPT_ENTRY'
  /** The server refused the write for good (a 4xx other than 408/429): the entry is a dead letter. */
  | 'REJECTED'
  /** The write could not reach the server (network, 408, 429, 5xx) after the retries of one flush, or a 401 said the JWT expired (PGRST301/PGRST303): it waits for the next trigger. */
  | 'UNREACHABLE'
  /** `retry`/`discard` named an entry that is not a dead letter. */
  | 'UNKNOWN_ENTRY'
  /** Another live queue in this process already owns this storage + namespace. */
  | 'NAMESPACE_IN_USE'
  /** The queue was destroyed. */
  | 'DESTROYED'

/**
 * Every error the queue throws or reports: a `SupasyncError` of `@supasync/core` with the queue's own codes and
 * a message that says how to fix the cause.
 */
export class QueueError extends SupasyncError<QueueErrorCode> {
  override name = 'QueueError'
  constructor(code: QueueErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

/** `enqueue` on a full queue. Nothing already queued is touched; the caller decides what to do with the write. */
export class QueueFullError extends QueueError {
  override name = 'QueueFullError'
  constructor(readonly limit: number) {
    super(
      'QUEUE_FULL',
      `The offline queue is full: it already holds ${limit} unsaved writes (maxSize: ${limit}). ` +
        `Wait for queue.flush() to save them, or raise the limit with createQueue({ maxSize: ${limit * 2} }).`,
    )
  }
}

/** What went wrong with one write, as stored with a dead letter and shown in `status.lastError`. */
export interface QueueFailure {
  code: QueueErrorCode
  message: string
  /** HTTP status; 0 for a network error; absent for local failures. */
  status?: number
  /** PostgREST / Postgres error code (e.g. `23505`, `PGRST204`). */
  pgCode?: string
  details?: string | null
  hint?: string | null
  /** When it happened, ms since the epoch. */
  at: number
}

export const destroyedError = () => new QueueError('DESTROYED', 'This queue was destroyed. Create a new one with createQueue(options).')
