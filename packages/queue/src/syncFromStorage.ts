import { decodeEntry, type StoredEntry } from './entry.js'
import type { QueueState } from './QueueState.js'

/**
 * Another tab changed the shared outbox: take its view. Entries this queue holds idle (pending, waiting, dead) that
 * are no longer stored were sent or discarded elsewhere and go; stored entries this queue does not know were enqueued
 * elsewhere and join in seq order. Entries being stored, in flight or awaiting removal here are left alone. Records
 * that cannot be decoded are left to the tab that loaded them (the next start quarantines them). Returns whether
 * anything changed.
 */
export async function syncFromStorage(state: QueueState): Promise<boolean> {
  const { storage, namespace, idColumn } = state.options
  const since = state.storedChanges
  const records = await storage.readAll(namespace)
  if (state.destroyed) return false
  // An entry this queue stored, changed or removed while the read ran may be in it as an older copy (or missing
  // though stored): this queue's own view of it is newer, so the read says nothing about it.
  const stale = (id: string) => (state.changedHere.get(id) ?? 0) > since
  for (const [id, stamp] of state.changedHere) if (stamp <= since) state.changedHere.delete(id)
  let changed = false
  for (let index = state.entries.length - 1; index >= 0; index--) {
    const entry = state.entries[index]!
    const idle = entry.state === 'pending' || entry.state === 'waiting' || entry.state === 'dead'
    if (idle && !records.has(entry.stored.id) && !stale(entry.stored.id)) {
      state.entries.splice(index, 1)
      changed = true
    }
  }
  // A write another tab's sends turned into a dead letter (or a dead letter it retried): the same state here.
  for (const entry of state.entries) {
    if (entry.state !== 'pending' && entry.state !== 'waiting' && entry.state !== 'dead') continue
    if (stale(entry.stored.id)) continue
    const raw = records.get(entry.stored.id)
    if (raw === undefined) continue
    let stored: StoredEntry
    try {
      stored = decodeEntry(raw, idColumn)
    } catch {
      continue
    }
    if (Boolean(stored.dead) === (entry.state === 'dead')) continue
    entry.stored = stored
    entry.state = stored.dead ? 'dead' : 'pending'
    changed = true
  }
  const known = new Set(state.entries.map((entry) => entry.stored.id))
  const added: StoredEntry[] = []
  for (const [key, raw] of records) {
    if (known.has(key) || state.quarantined.has(key) || stale(key)) continue
    try {
      const stored = decodeEntry(raw, idColumn)
      if (stored.id === key) added.push(stored)
    } catch {
      // not ours to quarantine from here
    }
  }
  for (const stored of added) {
    const entry = state.track(stored, stored.dead ? 'dead' : 'pending')
    // Seq order; between tabs equal seqs are ordered by enqueue time, then id, the same way in every tab.
    const at = state.entries.findIndex((other) => compare(other.stored, stored) > 0)
    state.entries.splice(at < 0 ? state.entries.length : at, 0, entry)
    state.nextSeq = Math.max(state.nextSeq, stored.seq + 1)
    changed = true
  }
  if (changed) {
    state.deadChanged()
    state.publish()
  }
  return changed
}

function compare(a: StoredEntry, b: StoredEntry): number {
  return a.seq - b.seq || a.enqueuedAt - b.enqueuedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}
