import { decodeEntry, type StoredEntry } from './entry.js'
import { QueueError } from './errors.js'
import { failureOf, messageOf } from './failureOf.js'
import type { QueueState } from './QueueState.js'

/**
 * Start-up recovery: loads the namespace's stored entries into `state` in seq order (dead letters stay dead),
 * quarantines corrupt ones (kept in storage, listed in `failed`, never sent), continues seq after every stored one,
 * then marks the queue ready and calls `start` (to flush what was loaded). Never rejects: a failed read is reported
 * and the queue starts empty.
 */
export async function loadEntries(state: QueueState, start: () => void): Promise<void> {
  const { storage, namespace, idColumn } = state.options
  let records: Map<string, string>
  try {
    records = await storage.readAll(namespace)
  } catch (cause) {
    const error = new QueueError(
      'STORAGE_FAILED',
      `Could not read the queue from ${storage.description}: ${messageOf(cause)}. Writes queued there are untouched but NOT counted in pending and not sent; fix the storage (permissions, disk), then restart the app or create the queue again to load and send them. Writes enqueued now are ordered after them.`,
      { cause },
    )
    state.loadError = failureOf(error)
    state.fail(error)
    records = new Map()
  }
  const loaded: StoredEntry[] = []
  for (const [key, raw] of records) {
    try {
      const stored = decodeEntry(raw, idColumn)
      if (stored.id !== key) throw new Error(`stored under key ${key} but names itself ${stored.id}`)
      loaded.push(stored)
    } catch (cause) {
      const error = new QueueError('CORRUPT_ENTRY', `Queued entry ${key} in ${storage.description} is corrupt (${messageOf(cause)}). It is quarantined: kept in storage, counted in status.failed and listed in queue.failed (with its raw text), never sent; the other entries load and send as usual. Inspect it, then remove it with queue.discard(${JSON.stringify(key)}).`, { cause })
      state.quarantined.set(key, { key, raw, reason: failureOf(error) })
      state.fail(error)
    }
  }
  loaded.sort((a, b) => a.seq - b.seq)
  for (const stored of loaded) state.entries.push(state.track(stored, stored.dead ? 'dead' : 'pending'))
  // seq must grow across runs: after the stored ones, and after a failed load (when they are unknown) past any
  // seq an earlier run can have given (a clock-based start: 1000 per ms, far below 2^53).
  let maxStored = 0
  for (const stored of loaded) maxStored = Math.max(maxStored, stored.seq)
  for (const { raw } of state.quarantined.values()) maxStored = Math.max(maxStored, seqOf(raw))
  state.nextSeq = state.loadError ? Math.max(maxStored + 1, Date.now() * 1000) : maxStored + 1
  state.isReady = true
  state.deadChanged()
  state.publish()
  start()
}

/** The seq of a corrupt record when it can still be read (so new writes are ordered after it), else 0. */
function seqOf(raw: string): number {
  const match = /\\?"seq\\?":(\d+)/.exec(raw)
  return match ? Number(match[1]) : 0
}
