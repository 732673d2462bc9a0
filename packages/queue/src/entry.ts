import type { QueueFailure } from './errors.js'
import { normalizeOperation, type QueueOperation } from './operations.js'
import { unreadableReason } from './storage/unreadableRecord.js'

/**
 * Life of one queued write. `storing` → `pending` once the storage has it; `inflight` while its request (and the
 * backoff between attempts, `retrying`) runs; `waiting` when the retries of this flush ran out (it retries on the
 * next trigger); `dead` when the server refused it for good. Success makes it `sent` (confirmed, not pending) until
 * it is removed from storage (done); while `sent` it still holds its records.
 */
export type EntryState = 'storing' | 'pending' | 'inflight' | 'retrying' | 'waiting' | 'dead' | 'sent'

export type EntryEvent = 'stored' | 'send' | 'attemptFailed' | 'succeeded' | 'rejected' | 'exhausted' | 'wake' | 'revive' | 'split' | 'removed'

/** The state table. A missing cell is a bug in the queue, so {@link transition} throws. */
const TABLE: Record<EntryState, Partial<Record<EntryEvent, EntryState | 'done'>>> = {
  storing: { stored: 'pending' },
  pending: { send: 'inflight', wake: 'pending' },
  inflight: { attemptFailed: 'retrying', succeeded: 'sent', rejected: 'dead', exhausted: 'waiting', split: 'pending' },
  retrying: { send: 'inflight', attemptFailed: 'retrying', succeeded: 'sent', rejected: 'dead', exhausted: 'waiting', split: 'pending' },
  waiting: { wake: 'pending' },
  dead: { revive: 'pending' },
  sent: { removed: 'done' },
}

export function transition(state: EntryState, event: EntryEvent): EntryState | 'done' {
  const next = TABLE[state][event]
  if (next === undefined) throw new Error(`supasync queue: no transition from '${state}' on '${event}' (a bug; please report it)`)
  return next
}

/**
 * States that still owe the server a write: they count as pending ("work not saved"). Every entry in the queue,
 * dead letters included, holds its record keys (a dead letter blocks later writes to its record until retry/discard).
 */
export const isLive = (state: EntryState) => state !== 'dead' && state !== 'sent'

/** What the storage holds per entry. */
export interface StoredEntry {
  id: string
  /** Enqueue order within the namespace. */
  seq: number
  op: QueueOperation
  /** ms since the epoch. */
  enqueuedAt: number
  /** Requests sent for it so far (all flushes). */
  attempts: number
  /** Present once it is a dead letter. */
  dead?: QueueFailure
}

const FORMAT = 1

/** FNV-1a, 32 bit: cheap, in every runtime, enough to notice a truncated or edited record. */
function checksum(text: string): string {
  let hash = 0x811c9dc5
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0).toString(16).padStart(8, '0')
}

/** One line of JSON: `{"v":1,"sum":"…","body":"<the entry as JSON>"}`. */
export function encodeEntry(entry: StoredEntry): string {
  const body = JSON.stringify(entry)
  return JSON.stringify({ v: FORMAT, sum: checksum(body), body })
}

/** Parses a stored record; throws with the reason when it is corrupt (then the queue quarantines it). */
export function decodeEntry(text: string, idColumn: string): StoredEntry {
  const unreadable = unreadableReason(text)
  if (unreadable !== undefined) throw new Error(`it could not be read: ${unreadable}`)
  let envelope: unknown
  try {
    envelope = JSON.parse(text)
  } catch {
    throw new Error('not JSON (truncated or overwritten)')
  }
  const { v, sum, body } = (envelope ?? {}) as { v?: unknown; sum?: unknown; body?: unknown }
  if (v !== FORMAT) throw new Error(`unknown format version ${JSON.stringify(v)}`)
  if (typeof body !== 'string' || typeof sum !== 'string') throw new Error('missing body or checksum')
  if (checksum(body) !== sum) throw new Error('checksum mismatch (the record was altered)')
  const entry = JSON.parse(body) as Partial<StoredEntry>
  if (typeof entry.id !== 'string' || typeof entry.seq !== 'number' || typeof entry.enqueuedAt !== 'number' || typeof entry.attempts !== 'number') {
    throw new Error('missing id, seq, enqueuedAt or attempts')
  }
  // Re-validate the operation as enqueue() would (ids are already there, so nothing is generated).
  const op = normalizeOperation(entry.op, idColumn, () => {
    throw new Error('an insert/upsert row lost its id')
  })
  return { id: entry.id, seq: entry.seq, op, enqueuedAt: entry.enqueuedAt, attempts: entry.attempts, ...(entry.dead ? { dead: entry.dead } : {}) }
}
