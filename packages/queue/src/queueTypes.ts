import type { QueueFailure } from './errors.js'
import type { QueueOperation } from './operations.js'

/** `pending > 0` is the "Work not saved" banner. */
export interface QueueStatus {
  /** Writes not yet confirmed by the server (being stored, queued, in flight or waiting to retry). */
  pending: number
  /** Dead letters (refused writes and quarantined corrupt entries); see `queue.failed`. */
  failed: number
  /** A request is in flight or backing off. */
  flushing: boolean
  /** The latest failure; null again once a request succeeds with nothing left waiting. */
  lastError: QueueFailure | null
}

/** A write the queue gave up on: it stays (in storage too) until `retry(id)` or `discard(id)`. */
export interface DeadLetter {
  id: string
  /** The write; undefined for a corrupt entry that could not be read. */
  operation: QueueOperation | undefined
  /** `upsert components (3 rows)`, or `corrupt entry` */
  description: string
  reason: QueueFailure
  attempts: number
  /** ms since the epoch; undefined for a corrupt entry. */
  enqueuedAt: number | undefined
  /** The stored text of a corrupt entry, for inspection. */
  raw?: string
}

/** What `enqueue` resolves with once the write is in storage. */
export interface QueuedWrite {
  /** Entry id (for `failed`, `retry`, `discard`). */
  id: string
  /** The write as stored: insert/upsert rows carry their client ids. */
  operation: QueueOperation
}

/** What one `flush()` achieved, counted from its call until the queue went idle. */
export interface FlushResult {
  /** Writes confirmed by the server. */
  sent: number
  /** Writes that became dead letters. */
  failed: number
  /** Writes still unsaved (offline, or retries ran out for now). */
  pending: number
}

/** Counts for leak checks: all zero after `destroy()`. */
export interface QueueDiagnostics {
  timers: number
  listeners: number
  inflight: number
}
