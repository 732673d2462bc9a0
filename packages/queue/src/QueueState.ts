import { createStore, shallowEqual, type WritableStore } from '@supasync/core'
import { batchKey } from './batching.js'
import { isLive, transition, type EntryEvent, type EntryState, type StoredEntry } from './entry.js'
import { QueueError, type QueueFailure } from './errors.js'
import { failureOf, messageOf } from './failureOf.js'
import { conflictKeys, describeOperation } from './operations.js'
import type { ResolvedQueueOptions } from './options.js'
import type { DeadLetter, QueueStatus } from './queueTypes.js'

export interface RuntimeEntry {
  stored: StoredEntry
  state: EntryState
  keys: string[]
  batch: string | undefined
  /** Send alone: its batch was refused, so it must be told apart from its neighbours. */
  solo: boolean
  /** State `sent`: its removal from storage is under way (else it failed and is retried on the next trigger). */
  removing?: boolean
}

export interface Quarantined {
  key: string
  raw: string
  reason: QueueFailure
}

/**
 * What the Queue facade, its Sender and the start-up load share: the entries in enqueue order, quarantined corrupt
 * entries, the public stores and the bookkeeping that keeps them in step. Internal; not exported from the package.
 */
export class QueueState {
  /** Sorted by seq (enqueue order). */
  readonly entries: RuntimeEntry[] = []
  readonly quarantined = new Map<string, Quarantined>()
  readonly statusStore: WritableStore<QueueStatus>
  readonly failedStore: WritableStore<readonly DeadLetter[]>
  /** Batches being sent (or backing off) right now. */
  running = 0
  nextSeq = 1
  lastError: QueueFailure | null = null
  /** The start-up load failed: stored writes are unknown, so status keeps showing it until the queue is recreated. */
  loadError: QueueFailure | null = null
  destroyed = false
  isReady = false

  constructor(readonly options: ResolvedQueueOptions) {
    this.statusStore = createStore<QueueStatus>({ pending: 0, failed: 0, flushing: false, lastError: null }, shallowEqual)
    this.failedStore = createStore<readonly DeadLetter[]>([])
  }

  /** This tab sends the shared outbox (always, without cross-tab coordination). */
  leader = true
  /** Counts this queue's own changes to the stored outbox; see {@link noteStored}. */
  storedChanges = 0
  /** Entry id → the value of storedChanges when this queue last stored, changed or removed it. */
  readonly changedHere = new Map<string, number>()
  /** Tells the other tabs that this one changed the stored outbox; set by the queue when tabs share it. */
  storageChanged: () => void = () => {}
  /** Tells `sync.inspect()` that an entry's state or attempts changed; set by inspectQueue.ts when registered. */
  inspectChanged: () => void = () => {}

  /** Whether this queue may send now: the network is up, and this tab is the one that sends the shared outbox. */
  get online(): boolean {
    return this.leader && this.options.ports.network.isOnline()
  }

  track(stored: StoredEntry, state: EntryState): RuntimeEntry {
    return { stored, state, keys: conflictKeys(stored.op, this.options.idColumn), batch: batchKey(stored.op), solo: false }
  }

  move(entry: RuntimeEntry, event: EntryEvent): void {
    this.inspectChanged()
    const next = transition(entry.state, event)
    if (next === 'done') {
      const index = this.entries.indexOf(entry)
      if (index >= 0) this.entries.splice(index, 1)
    } else entry.state = next
  }

  /**
   * Records that this queue itself stored, changed or removed these entries: a read of the outbox that began before
   * (another tab's change being synced) may hold an older copy of them, which must not undo this (see
   * syncFromStorage).
   */
  noteStored(ids: readonly string[]): void {
    const stamp = ++this.storedChanges
    for (const id of ids) this.changedHere.set(id, stamp)
  }

  async removeStored(ids: string[]): Promise<void> {
    if (ids.length === 0) return
    try {
      await this.options.storage.remove(this.options.namespace, ids)
      this.noteStored(ids)
      this.storageChanged()
    } catch (cause) {
      throw new QueueError('STORAGE_FAILED', `Could not remove ${ids.length} entr${ids.length === 1 ? 'y' : 'ies'} from ${this.options.storage.description}: ${messageOf(cause)}. They may be sent again on the next start (writes are idempotent).`, { cause })
    }
  }

  liveCount(): number {
    let count = 0
    for (const entry of this.entries) if (isLive(entry.state)) count++
    return count
  }

  fail(error: QueueError): void {
    this.lastError = failureOf(error)
    this.publish()
    this.options.onError(error)
  }

  deadChanged(): void {
    const letters: DeadLetter[] = []
    for (const entry of this.entries) {
      if (entry.state !== 'dead' || !entry.stored.dead) continue
      const { id, op, attempts, enqueuedAt, dead } = entry.stored
      letters.push({ id, operation: op, description: describeOperation(op), reason: dead, attempts, enqueuedAt })
    }
    for (const { key, raw, reason } of this.quarantined.values()) {
      letters.push({ id: key, operation: undefined, description: 'corrupt entry', reason, attempts: 0, enqueuedAt: undefined, raw })
    }
    const current = this.failedStore.get()
    const same = current.length === letters.length && current.every((letter, index) => letter.id === letters[index]!.id && letter.reason === letters[index]!.reason)
    if (!same) this.failedStore.set(letters)
    this.publish()
  }

  publish(): void {
    if (this.destroyed) return
    this.statusStore.set({ pending: this.liveCount(), failed: this.failedStore.get().length, flushing: this.running > 0, lastError: this.lastError ?? this.loadError })
  }
}
