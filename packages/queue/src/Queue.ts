import type { ReadableStore } from '@supasync/core'
import { encodeEntry, type StoredEntry } from './entry.js'
import { destroyedError, QueueError, QueueFullError } from './errors.js'
import { messageOf } from './failureOf.js'
import { loadEntries } from './loadEntries.js'
import { describeOperation, normalizeOperation, type QueueOperation } from './operations.js'
import type { ResolvedQueueOptions } from './options.js'
import type { DeadLetter, FlushResult, QueueDiagnostics, QueuedWrite, QueueStatus } from './queueTypes.js'
import { QueueState } from './QueueState.js'
import { Sender } from './Sender.js'
import { CrossTab } from './CrossTab.js'
import { syncFromStorage } from './syncFromStorage.js'
import { inspectQueue } from './inspectQueue.js'

export type { DeadLetter, FlushResult, QueueDiagnostics, QueuedWrite, QueueStatus } from './queueTypes.js'

/**
 * Outboxes (storage location, or the storage object when it has none, + namespace) owned by a live queue in this
 * process: two queues replaying one outbox would double-send, even through two storage objects for one place.
 */
const owners = new Map<unknown, Set<string>>()

/** The offline write queue. Create it with `createQueue`. */
export class Queue {
  private readonly state: QueueState
  private readonly sender: Sender
  /** retry(id) calls storing their revived entry. */
  private readonly reviving = new Map<string, Promise<void>>()
  private readonly cleanups: (() => void)[] = []
  private releaseOwnership: (() => void) | undefined
  private resyncing: Promise<void> | undefined
  private resyncAgain = false
  private resyncForce = false
  /** Resolves once stored entries are loaded (never rejects: a failed load is reported and the queue starts empty). */
  readonly ready: Promise<void>

  /** @internal Created by the package's factory function, not by `new`. */
  constructor(private readonly options: ResolvedQueueOptions) {
    const { storage, namespace, persist, crossTab } = options
    // Queues coordinated across tabs (or within this process, in tests) share the outbox under the lock instead.
    if (persist === 'durable' && !crossTab) {
      const place: unknown = storage.location ?? storage
      const taken = owners.get(place) ?? new Set<string>()
      if (taken.has(namespace)) {
        throw new QueueError('NAMESPACE_IN_USE', `Another queue in this process already uses namespace ${JSON.stringify(namespace)} on ${storage.location ?? storage.description}. Destroy it first, or share one queue.`)
      }
      taken.add(namespace)
      owners.set(place, taken)
      this.releaseOwnership = () => {
        taken.delete(namespace)
        if (taken.size === 0 && owners.get(place) === taken) owners.delete(place)
      }
    }
    const state = new QueueState(options)
    const sender = new Sender(state)
    this.state = state
    this.sender = sender
    if (crossTab) {
      state.leader = false
      const tabs = new CrossTab(
        crossTab,
        `supasync-queue:${storage.location ?? storage.description}:${namespace}`,
        () => {
          state.leader = true
          // The outbox as the previous sender left it, then send.
          this.resync(true)
        },
        () => this.resync(false),
      )
      state.storageChanged = () => tabs.changed()
      this.cleanups.push(() => tabs.close())
    }
    const { network, visibility } = options.ports
    this.cleanups.push(network.subscribe((online) => online && sender.trigger()))
    this.cleanups.push(visibility.subscribe((visible) => visible && sender.trigger()))
    if (options.sync) {
      let wasLive = options.sync.status.get().state === 'live'
      this.cleanups.push(
        options.sync.status.subscribe((connection) => {
          const live = connection.state === 'live'
          if (live && !wasLive) sender.trigger()
          wasLive = live
        }),
      )
    }
    const stopInspect = inspectQueue(state, { retry: (id) => this.retry(id), discard: (id) => this.discard(id) })
    if (stopInspect) this.cleanups.push(stopInspect)
    this.ready = loadEntries(state, () => {
      if (options.autoFlush && !state.destroyed) sender.pump()
    })
  }

  /** `{ pending, failed, flushing, lastError }`, same reference until it changes. */
  get status(): ReadableStore<QueueStatus> {
    return this.state.statusStore
  }

  /**
   * Dead letters, oldest first, with their reasons. Same array until it changes. A dead letter blocks its record:
   * later writes to the same record (same keys) wait until it is `retry`-ed (then it goes first) or `discard`-ed.
   */
  get failed(): ReadableStore<readonly DeadLetter[]> {
    return this.state.failedStore
  }

  /**
   * Validates the write, stores it durably and resolves once it is stored; the server gets it on the next flush.
   * Rejects with `QueueFullError` when `maxSize` writes are unsaved, `INVALID_OPERATION` for a malformed write,
   * `UNSERIALIZABLE` for a value JSON cannot carry faithfully (BigInt, NaN, Map, Set, class instances, cycles; the
   * message names its path, e.g. `values.meta.count is a BigInt`; a Date is stored as its ISO string), and
   * `STORAGE_FAILED` when the storage refused it (then it was not queued). Never touches what is already queued.
   */
  async enqueue(operation: QueueOperation): Promise<QueuedWrite> {
    const { state, sender } = this
    if (state.destroyed) throw destroyedError()
    const op = normalizeOperation(operation, this.options.idColumn, this.options.generateId)
    await this.ready
    if (state.destroyed) throw destroyedError()
    const live = state.liveCount()
    if (live >= this.options.maxSize) throw new QueueFullError(this.options.maxSize)
    const stored: StoredEntry = { id: this.options.generateId(), seq: state.nextSeq++, op, enqueuedAt: Date.now(), attempts: 0 }
    const entry = state.track(stored, 'storing')
    state.entries.push(entry) // seq grows with every push, so the array stays in enqueue order
    state.publish()
    try {
      await this.options.storage.write(this.options.namespace, stored.id, encodeEntry(stored))
    } catch (cause) {
      state.entries.splice(state.entries.indexOf(entry), 1)
      const error = new QueueError(
        'STORAGE_FAILED',
        `Could not store the write (${describeOperation(op)}) in ${this.options.storage.description}: ${messageOf(cause)}. It was NOT queued (free up storage, then enqueue it again); nothing already queued was touched.`,
        { cause },
      )
      state.fail(error)
      state.publish()
      sender.pump()
      throw error
    }
    state.move(entry, 'stored')
    state.noteStored([stored.id])
    state.storageChanged()
    if (this.options.autoFlush) sender.schedulePump()
    else sender.pump() // a flush() that waited for this write to be stored sends it (pump keeps draining for it)
    state.publish()
    return { id: stored.id, operation: op }
  }

  /**
   * Re-reads the shared outbox after another tab changed it (or when this tab becomes the sender), one read at a time:
   * a change announced during a read is read again after it. The sender then sends what is new.
   */
  private resync(force: boolean): void {
    this.resyncForce ||= force
    if (this.resyncing) {
      this.resyncAgain = true
      return
    }
    this.resyncing = (async () => {
      await this.ready
      do {
        this.resyncAgain = false
        await syncFromStorage(this.state).catch((cause: unknown) => {
          if (!this.state.destroyed) this.state.fail(new QueueError('STORAGE_FAILED', `Could not re-read the outbox another tab changed, from ${this.options.storage.description}: ${messageOf(cause)}.`, { cause }))
        })
      } while (this.resyncAgain && !this.state.destroyed)
    })().finally(() => {
      this.resyncing = undefined
      const force = this.resyncForce
      this.resyncForce = false
      if (!this.state.destroyed && this.state.leader) this.sender.pump(force)
    })
  }

  /**
   * Sends every queued write now (waiting ones get a new round of retries) and resolves when the queue is idle:
   * everything was sent, refused, or could not be sent right now (offline, retries ran out).
   */
  async flush(): Promise<FlushResult> {
    if (this.state.destroyed) throw destroyedError()
    await this.ready
    if (this.state.destroyed) throw destroyedError()
    return this.sender.flush()
  }

  /** Moves a dead letter back into the queue (it keeps its place in order) and flushes (also with `autoFlush: false`). */
  retry(id: string): Promise<void> {
    // A second retry(id) while the first is storing the revived entry shares its outcome.
    const running = this.reviving.get(id)
    if (running) return running
    const revival = this.revive(id).finally(() => this.reviving.delete(id))
    this.reviving.set(id, revival)
    return revival
  }

  private async revive(id: string): Promise<void> {
    const { state } = this
    await this.ready
    if (state.destroyed) throw destroyedError()
    if (state.quarantined.has(id)) throw new QueueError('CORRUPT_ENTRY', `Entry ${id} is corrupt and cannot be sent; inspect failed[].raw, then discard(${JSON.stringify(id)}).`)
    const entry = state.entries.find((candidate) => candidate.stored.id === id && candidate.state === 'dead')
    if (!entry) throw new QueueError('UNKNOWN_ENTRY', `No dead letter with id ${JSON.stringify(id)}.`)
    const { dead: _dead, ...revived } = entry.stored
    revived.attempts = 0
    await this.options.storage.write(this.options.namespace, id, encodeEntry(revived)).catch((cause: unknown) => {
      throw new QueueError('STORAGE_FAILED', `Could not store the retried entry ${id}: ${messageOf(cause)}`, { cause })
    })
    if (state.destroyed) return
    if (entry.state !== 'dead' || !state.entries.includes(entry)) {
      // clear() removed it while its revival was being stored: take the stored copy away again.
      if (!state.entries.includes(entry)) await state.removeStored([id])
      return
    }
    state.noteStored([id])
    state.storageChanged()
    entry.stored = revived
    entry.solo = false
    state.move(entry, 'revive')
    state.deadChanged()
    this.sender.pump(true)
  }

  /** Deletes a dead letter (or a quarantined corrupt entry) from memory and storage. */
  async discard(id: string): Promise<void> {
    const { state } = this
    await this.ready
    if (state.destroyed) throw destroyedError()
    if (this.reviving.has(id)) throw new QueueError('UNKNOWN_ENTRY', `Entry ${JSON.stringify(id)} is being retried; it is no longer a dead letter.`)
    const index = state.entries.findIndex((candidate) => candidate.stored.id === id && candidate.state === 'dead')
    if (index < 0 && !state.quarantined.has(id)) throw new QueueError('UNKNOWN_ENTRY', `No dead letter with id ${JSON.stringify(id)}.`)
    await state.removeStored([id])
    if (index >= 0) state.entries.splice(index, 1)
    state.quarantined.delete(id)
    state.deadChanged()
    state.publish()
  }

  /** Removes every write that is not in flight right now (queued, waiting, dead, quarantined), from storage too. */
  async clear(): Promise<void> {
    const { state } = this
    await this.ready
    if (state.destroyed) throw destroyedError()
    const removable = state.entries.filter(
      (entry) => entry.state === 'pending' || entry.state === 'waiting' || entry.state === 'dead' || (entry.state === 'sent' && !entry.removing),
    )
    const ids = [...removable.map((entry) => entry.stored.id), ...state.quarantined.keys()]
    // Out of the queue before the await, so nothing chosen here starts sending while the storage works.
    for (const entry of removable) state.entries.splice(state.entries.indexOf(entry), 1)
    state.publish()
    try {
      await state.removeStored(ids)
    } catch (error) {
      // Nothing was cleared for sure: put the writes back in their order (the array is sorted by seq).
      for (const entry of removable) {
        if (state.destroyed) break
        const at = state.entries.findIndex((other) => other.stored.seq > entry.stored.seq)
        state.entries.splice(at < 0 ? state.entries.length : at, 0, entry)
      }
      state.publish()
      this.sender.pump()
      throw error
    }
    state.quarantined.clear()
    state.lastError = null
    state.deadChanged()
    state.publish()
    this.sender.settle()
  }

  /**
   * Stops everything: in-flight requests are aborted (they stay stored and replay next time), timers and listeners
   * are released, pending `flush()` calls reject. Stored entries are kept (except with `persist: 'session'`).
   */
  destroy(): void {
    if (this.state.destroyed) return
    this.state.destroyed = true
    this.sender.stop(destroyedError)
    for (const cleanup of this.cleanups.splice(0)) cleanup()
    this.releaseOwnership?.()
    this.sender.rejectFlushes(destroyedError)
    if (this.options.persist === 'session') this.state.entries.splice(0)
  }

  diagnostics(): QueueDiagnostics {
    return { timers: this.sender.timerCount, listeners: this.cleanups.length, inflight: this.sender.inflightCount }
  }
}
