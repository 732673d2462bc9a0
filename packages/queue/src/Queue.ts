import { createStore, shallowEqual, type ReadableStore, type WritableStore } from '@supasync/core'

/** A TimerPort handle (core's TimerHandle, which is `unknown`). */
type TimerHandle = unknown
import pRetry from 'p-retry'
import { batchKey, batchWeight, buildRequest } from './batching.js'
import { decodeEntry, encodeEntry, isLive, transition, type EntryEvent, type EntryState, type StoredEntry } from './entry.js'
import { destroyedError, QueueError, QueueFullError, type QueueFailure } from './errors.js'
import { KeyLocks } from './KeyLocks.js'
import { conflictKeys, describeOperation, normalizeOperation, type QueueOperation } from './operations.js'
import type { ResolvedQueueOptions } from './options.js'
import { isAuthExpired, isRetryable, RequestFailure } from './requestFailure.js'
import type { QueueStorage } from './storage/QueueStorage.js'

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

interface RuntimeEntry {
  stored: StoredEntry
  state: EntryState
  keys: string[]
  batch: string | undefined
  /** Send alone: its batch was refused, so it must be told apart from its neighbours. */
  solo: boolean
  /** State `sent`: its removal from storage is under way (else it failed and is retried on the next trigger). */
  removing?: boolean
}

interface Quarantined {
  key: string
  raw: string
  reason: QueueFailure
}

/**
 * Outboxes (storage location, or the storage object when it has none, + namespace) owned by a live queue in this
 * process: two queues replaying one outbox would double-send, even through two storage objects for one place.
 */
const owners = new Map<unknown, Set<string>>()

/** The offline write queue. Create it with `createQueue`. */
export class Queue {
  private readonly entries: RuntimeEntry[] = []
  private readonly quarantined = new Map<string, Quarantined>()
  /** retry(id) calls storing their revived entry. */
  private readonly reviving = new Map<string, Promise<void>>()
  private readonly statusStore: WritableStore<QueueStatus>
  private readonly failedStore: WritableStore<readonly DeadLetter[]>
  private readonly cleanups: (() => void)[] = []
  private releaseOwnership: (() => void) | undefined
  private readonly timers = new Set<TimerHandle>()
  private readonly controllers = new Set<AbortController>()
  private flushWaiters: { resolve: (result: FlushResult) => void; reject: (error: Error) => void; sent: number; dead: number }[] = []
  private wakeTimer: TimerHandle | undefined
  private pumpTimer: TimerHandle | undefined
  private running = 0
  /** A flush() or trigger asked to send everything (matters with autoFlush: false). */
  private draining = false
  private nextSeq = 1
  private totalSent = 0
  private totalDead = 0
  private lastError: QueueFailure | null = null
  /** The start-up load failed: stored writes are unknown, so status keeps showing it until the queue is recreated. */
  private loadError: QueueFailure | null = null
  private destroyed = false
  private isReady = false
  /** Resolves once stored entries are loaded (never rejects: a failed load is reported and the queue starts empty). */
  readonly ready: Promise<void>

  constructor(private readonly options: ResolvedQueueOptions) {
    const { storage, namespace, persist } = options
    if (persist === 'durable') {
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
    this.statusStore = createStore<QueueStatus>({ pending: 0, failed: 0, flushing: false, lastError: null }, shallowEqual)
    this.failedStore = createStore<readonly DeadLetter[]>([])
    const { network, visibility } = options.ports
    this.cleanups.push(network.subscribe((online) => online && this.trigger()))
    this.cleanups.push(visibility.subscribe((visible) => visible && this.trigger()))
    if (options.sync) {
      let wasLive = options.sync.status.get().state === 'live'
      this.cleanups.push(
        options.sync.status.subscribe(({ state }) => {
          const live = state === 'live'
          if (live && !wasLive) this.trigger()
          wasLive = live
        }),
      )
    }
    this.ready = this.load()
  }

  /** `{ pending, failed, flushing, lastError }`, same reference until it changes. */
  get status(): ReadableStore<QueueStatus> {
    return this.statusStore
  }

  /**
   * Dead letters, oldest first, with their reasons. Same array until it changes. A dead letter blocks its record:
   * later writes to the same record (same keys) wait until it is `retry`-ed (then it goes first) or `discard`-ed.
   */
  get failed(): ReadableStore<readonly DeadLetter[]> {
    return this.failedStore
  }

  /**
   * Validates the write, stores it durably and resolves once it is stored; the server gets it on the next flush.
   * Rejects with `QueueFullError` when `maxSize` writes are unsaved, `INVALID_OPERATION` for a malformed write, and
   * `STORAGE_FAILED` when the storage refused it (then it was not queued). Never touches what is already queued.
   */
  async enqueue(operation: QueueOperation): Promise<QueuedWrite> {
    if (this.destroyed) throw destroyedError()
    const op = normalizeOperation(operation, this.options.idColumn, this.options.generateId)
    await this.ready
    if (this.destroyed) throw destroyedError()
    const live = this.liveCount()
    if (live >= this.options.maxSize) throw new QueueFullError(this.options.maxSize)
    const stored: StoredEntry = { id: this.options.generateId(), seq: this.nextSeq++, op, enqueuedAt: Date.now(), attempts: 0 }
    const entry = this.track(stored, 'storing')
    this.entries.push(entry) // seq grows with every push, so the array stays in enqueue order
    this.publish()
    try {
      await this.options.storage.write(this.options.namespace, stored.id, encodeEntry(stored))
    } catch (cause) {
      this.entries.splice(this.entries.indexOf(entry), 1)
      const error = new QueueError(
        'STORAGE_FAILED',
        `Could not store the write (${describeOperation(op)}) in ${this.options.storage.description}: ${messageOf(cause)}. It was NOT queued (free up storage, then enqueue it again); nothing already queued was touched.`,
        { cause },
      )
      this.fail(error)
      this.publish()
      this.pump()
      throw error
    }
    this.move(entry, 'stored')
    if (this.options.autoFlush) this.schedulePump()
    else this.pump() // a flush() that waited for this write to be stored sends it (pump keeps draining for it)
    this.publish()
    return { id: stored.id, operation: op }
  }

  /**
   * Sends every queued write now (waiting ones get a new round of retries) and resolves when the queue is idle:
   * everything was sent, refused, or could not be sent right now (offline, retries ran out).
   */
  async flush(): Promise<FlushResult> {
    if (this.destroyed) throw destroyedError()
    await this.ready
    if (this.destroyed) throw destroyedError()
    return new Promise<FlushResult>((resolve, reject) => {
      this.flushWaiters.push({ resolve, reject, sent: this.totalSent, dead: this.totalDead })
      this.wakeAll()
      this.pump(true)
    })
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
    await this.ready
    if (this.destroyed) throw destroyedError()
    if (this.quarantined.has(id)) throw new QueueError('CORRUPT_ENTRY', `Entry ${id} is corrupt and cannot be sent; inspect failed[].raw, then discard(${JSON.stringify(id)}).`)
    const entry = this.entries.find((candidate) => candidate.stored.id === id && candidate.state === 'dead')
    if (!entry) throw new QueueError('UNKNOWN_ENTRY', `No dead letter with id ${JSON.stringify(id)}.`)
    const { dead: _dead, ...revived } = entry.stored
    revived.attempts = 0
    await this.options.storage.write(this.options.namespace, id, encodeEntry(revived)).catch((cause: unknown) => {
      throw new QueueError('STORAGE_FAILED', `Could not store the retried entry ${id}: ${messageOf(cause)}`, { cause })
    })
    if (this.destroyed) return
    if (entry.state !== 'dead' || !this.entries.includes(entry)) {
      // clear() removed it while its revival was being stored: take the stored copy away again.
      if (!this.entries.includes(entry)) await this.removeStored([id])
      return
    }
    entry.stored = revived
    entry.solo = false
    this.move(entry, 'revive')
    this.deadChanged()
    this.pump(true)
  }

  /** Deletes a dead letter (or a quarantined corrupt entry) from memory and storage. */
  async discard(id: string): Promise<void> {
    await this.ready
    if (this.destroyed) throw destroyedError()
    if (this.reviving.has(id)) throw new QueueError('UNKNOWN_ENTRY', `Entry ${JSON.stringify(id)} is being retried; it is no longer a dead letter.`)
    const index = this.entries.findIndex((candidate) => candidate.stored.id === id && candidate.state === 'dead')
    if (index < 0 && !this.quarantined.has(id)) throw new QueueError('UNKNOWN_ENTRY', `No dead letter with id ${JSON.stringify(id)}.`)
    await this.removeStored([id])
    if (index >= 0) this.entries.splice(index, 1)
    this.quarantined.delete(id)
    this.deadChanged()
    this.publish()
  }

  /** Removes every write that is not in flight right now (queued, waiting, dead, quarantined), from storage too. */
  async clear(): Promise<void> {
    await this.ready
    if (this.destroyed) throw destroyedError()
    const removable = this.entries.filter(
      (entry) => entry.state === 'pending' || entry.state === 'waiting' || entry.state === 'dead' || (entry.state === 'sent' && !entry.removing),
    )
    const ids = [...removable.map((entry) => entry.stored.id), ...this.quarantined.keys()]
    // Out of the queue before the await, so nothing chosen here starts sending while the storage works.
    for (const entry of removable) this.entries.splice(this.entries.indexOf(entry), 1)
    this.publish()
    try {
      await this.removeStored(ids)
    } catch (error) {
      // Nothing was cleared for sure: put the writes back in their order (the array is sorted by seq).
      for (const entry of removable) {
        if (this.destroyed) break
        const at = this.entries.findIndex((other) => other.stored.seq > entry.stored.seq)
        this.entries.splice(at < 0 ? this.entries.length : at, 0, entry)
      }
      this.publish()
      this.pump()
      throw error
    }
    this.quarantined.clear()
    this.lastError = null
    this.deadChanged()
    this.publish()
    this.settle()
  }

  /**
   * Stops everything: in-flight requests are aborted (they stay stored and replay next time), timers and listeners
   * are released, pending `flush()` calls reject. Stored entries are kept (except with `persist: 'session'`).
   */
  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    for (const controller of this.controllers) controller.abort(destroyedError())
    this.controllers.clear()
    for (const handle of this.timers) this.options.ports.timers.clearTimeout(handle)
    this.timers.clear()
    this.wakeTimer = undefined
    this.pumpTimer = undefined
    for (const cleanup of this.cleanups.splice(0)) cleanup()
    this.releaseOwnership?.()
    for (const waiter of this.flushWaiters.splice(0)) waiter.reject(destroyedError())
    if (this.options.persist === 'session') this.entries.splice(0)
  }

  diagnostics(): QueueDiagnostics {
    return { timers: this.timers.size, listeners: this.cleanups.length, inflight: this.controllers.size }
  }

  // ------------------------------------------------------------------------------------------------------------

  private async load(): Promise<void> {
    const { storage, namespace, idColumn } = this.options
    let records: Map<string, string>
    try {
      records = await storage.readAll(namespace)
    } catch (cause) {
      const error = new QueueError(
        'STORAGE_FAILED',
        `Could not read the queue from ${storage.description}: ${messageOf(cause)}. Writes queued there are untouched but NOT counted in pending and not sent; fix the storage (permissions, disk), then restart the app or create the queue again to load and send them. Writes enqueued now are ordered after them.`,
        { cause },
      )
      this.loadError = failureOf(error)
      this.fail(error)
      records = new Map()
    }
    const loaded: StoredEntry[] = []
    for (const [key, raw] of records) {
      try {
        const stored = decodeEntry(raw, idColumn)
        if (stored.id !== key) throw new Error(`stored under key ${key} but names itself ${stored.id}`)
        loaded.push(stored)
      } catch (cause) {
        const error = new QueueError('CORRUPT_ENTRY', `Queued entry ${key} in ${storage.description} is corrupt (${messageOf(cause)}). It is quarantined: kept in storage, listed in queue.failed, never sent. Inspect it, then discard(${JSON.stringify(key)}).`, { cause })
        this.quarantined.set(key, { key, raw, reason: failureOf(error) })
        this.fail(error)
      }
    }
    loaded.sort((a, b) => a.seq - b.seq)
    for (const stored of loaded) this.entries.push(this.track(stored, stored.dead ? 'dead' : 'pending'))
    // seq must grow across runs: after the stored ones, and after a failed load (when they are unknown) past any
    // seq an earlier run can have given (a clock-based start: 1000 per ms, far below 2^53).
    let maxStored = 0
    for (const stored of loaded) maxStored = Math.max(maxStored, stored.seq)
    for (const { raw } of this.quarantined.values()) maxStored = Math.max(maxStored, seqOf(raw))
    this.nextSeq = this.loadError ? Math.max(maxStored + 1, Date.now() * 1000) : maxStored + 1
    this.isReady = true
    this.deadChanged()
    this.publish()
    if (this.options.autoFlush && !this.destroyed) this.pump()
  }

  private track(stored: StoredEntry, state: EntryState): RuntimeEntry {
    return { stored, state, keys: conflictKeys(stored.op, this.options.idColumn), batch: batchKey(stored.op), solo: false }
  }

  private move(entry: RuntimeEntry, event: EntryEvent): void {
    const next = transition(entry.state, event)
    if (next === 'done') {
      const index = this.entries.indexOf(entry)
      if (index >= 0) this.entries.splice(index, 1)
    } else entry.state = next
  }

  /** A network, visibility or connection trigger: give waiting writes a new round. */
  private trigger(): void {
    if (this.destroyed || !this.isReady) return
    this.wakeAll()
    this.pump(true)
  }

  private wakeAll(): void {
    for (const entry of this.entries) if (entry.state === 'waiting') this.move(entry, 'wake')
    if (this.wakeTimer !== undefined) {
      this.options.ports.timers.clearTimeout(this.wakeTimer)
      this.timers.delete(this.wakeTimer)
      this.wakeTimer = undefined
    }
  }

  private get online(): boolean {
    return this.options.ports.network.isOnline()
  }

  /** Starts as many batches as `concurrency` allows, then checks whether flush() callers can be answered. */
  private pump(force = false): void {
    if (this.destroyed || !this.isReady) return
    // flush() callers still waiting (e.g. for a write being stored) keep the queue draining with autoFlush: false.
    if (force || this.flushWaiters.length > 0) this.draining = true
    if (force) this.retryRemovals()
    if ((this.options.autoFlush || this.draining) && this.online) {
      while (this.running < this.options.concurrency) {
        const batch = this.nextBatch()
        if (!batch) break
        this.running++
        void this.send(batch).finally(() => {
          this.running--
          this.publish()
          this.pump()
        })
      }
    }
    if (this.running === 0) this.draining = false
    this.publish()
    this.settle()
  }

  /**
   * The oldest sendable write whose records no earlier unfinished write holds, plus the consecutive writes that can
   * share its request. O(entries × keys).
   */
  private nextBatch(): RuntimeEntry[] | undefined {
    const locks = new KeyLocks()
    const entries = this.entries
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index]!
      // A dead letter (and a write awaiting removal) holds its records: later writes to them wait for retry/discard.
      if (entry.state === 'pending' && !locks.conflicts(entry.keys)) {
        const batch = [entry]
        if (entry.solo || entry.batch === undefined) return batch
        const inBatch = new KeyLocks()
        inBatch.add(entry.keys)
        let weight = batchWeight(entry.stored.op)
        for (let next = index + 1; next < entries.length; next++) {
          const candidate = entries[next]!
          const candidateWeight = batchWeight(candidate.stored.op)
          if (candidate.state !== 'pending' || candidate.solo || candidate.batch !== entry.batch || weight + candidateWeight > this.options.maxBatchRows) break
          if (locks.conflicts(candidate.keys) || inBatch.conflicts(candidate.keys)) break
          batch.push(candidate)
          inBatch.add(candidate.keys)
          weight += candidateWeight
        }
        return batch
      }
      locks.add(entry.keys)
    }
    return undefined
  }

  private async send(batch: RuntimeEntry[]): Promise<void> {
    const { executor, retry, idColumn } = this.options
    const controller = new AbortController()
    this.controllers.add(controller)
    const signal = controller.signal
    for (const entry of batch) this.move(entry, 'send')
    const request = buildRequest(
      batch.map((entry) => entry.stored.op),
      idColumn,
    )
    try {
      await pRetry(
        async () => {
          for (const entry of batch) {
            entry.stored.attempts++
            if (entry.state === 'retrying') this.move(entry, 'send')
          }
          const attemptSignal = linked(signal)
          await this.attempt(() => executor.execute(request, attemptSignal.signal), attemptSignal)
        },
        {
          retries: retry.retries,
          factor: retry.factor,
          minTimeout: retry.minTimeoutMs,
          maxTimeout: retry.maxTimeoutMs,
          randomize: true,
          signal,
          shouldRetry: ({ error }) => isRetryable(error) && this.online && !this.destroyed,
          onFailedAttempt: async ({ error, retriesLeft }) => {
            this.lastError = failureOf(error)
            if (!isRetryable(error) || retriesLeft <= 0 || !this.online) return
            for (const entry of batch) if (entry.state === 'inflight') this.move(entry, 'attemptFailed')
            this.publish()
            const wait = error instanceof RequestFailure ? error.retryAfterMs : undefined
            if (wait !== undefined) await this.sleep(Math.min(wait, retry.maxRetryAfterMs), signal)
          },
        },
      )
    } catch (error) {
      this.controllers.delete(controller)
      if (this.destroyed || signal.aborted) return
      this.onBatchFailed(batch, error)
      return
    }
    this.controllers.delete(controller)
    for (const entry of batch) this.move(entry, 'succeeded')
    this.totalSent += batch.length
    if (!this.entries.some((entry) => entry.state === 'waiting')) this.lastError = null
    await this.removeSent(batch)
  }

  /**
   * Removes confirmed writes from storage. Until that worked they stay in memory (state `sent`) holding their records,
   * so a later write to the same record cannot be sent before them: otherwise a restart would replay the stale one
   * over it. A failed removal is retried on the next trigger or flush.
   */
  private async removeSent(sent: RuntimeEntry[]): Promise<void> {
    for (const entry of sent) entry.removing = true
    try {
      await this.removeStored(sent.map((entry) => entry.stored.id))
    } catch (error) {
      for (const entry of sent) entry.removing = false
      if (this.destroyed) return
      this.fail(asQueueError(error))
      this.scheduleWake()
      return
    }
    for (const entry of sent) if (entry.state === 'sent' && this.entries.includes(entry)) this.move(entry, 'removed')
  }

  private retryRemovals(): void {
    const stuck = this.entries.filter((entry) => entry.state === 'sent' && !entry.removing)
    if (stuck.length === 0) return
    void this.removeSent(stuck).finally(() => {
      this.publish()
      this.pump()
    })
  }

  private onBatchFailed(batch: RuntimeEntry[], error: unknown): void {
    const failure = failureOf(error)
    this.lastError = failure
    if (isRetryable(error) || isAuthExpired(error)) {
      // An expired/invalid JWT too: the session may have refreshed by the next trigger (online, visible, flush()).
      for (const entry of batch) this.move(entry, 'exhausted')
      this.scheduleWake()
      return
    }
    if (batch.length > 1) {
      // One of them is refused; send each alone so only that one becomes a dead letter.
      for (const entry of batch) {
        this.move(entry, 'split')
        entry.solo = true
      }
      return
    }
    const entry = batch[0]!
    this.move(entry, 'rejected')
    entry.stored = { ...entry.stored, dead: failure }
    this.totalDead++
    this.deadChanged()
    this.options.onError(new QueueError('REJECTED', `The server refused ${describeOperation(entry.stored.op)}: ${failure.message}. It is a dead letter (queue.failed); fix the cause, then retry(${JSON.stringify(entry.stored.id)}) or discard it.`, { cause: error }))
    void this.options.storage.write(this.options.namespace, entry.stored.id, encodeEntry(entry.stored)).catch((cause: unknown) => this.fail(asQueueError(cause)))
  }

  /** One attempt with a timeout; a timeout or abort becomes a network error (status 0). */
  private async attempt(run: () => Promise<void>, attemptSignal: AbortController & { release(): void }): Promise<void> {
    const { requestTimeoutMs, ports } = this.options
    let timer: TimerHandle | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = ports.timers.setTimeout(() => {
        this.timers.delete(timer)
        const error = new RequestFailure({ status: 0, message: `No response within ${requestTimeoutMs} ms (requestTimeoutMs)` })
        attemptSignal.abort(error)
        reject(error)
      }, requestTimeoutMs)
      this.timers.add(timer)
    })
    try {
      await Promise.race([run(), timeout])
    } finally {
      ports.timers.clearTimeout(timer)
      this.timers.delete(timer)
      attemptSignal.release()
    }
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    const { timers } = this.options.ports
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason)
      const onAbort = () => {
        timers.clearTimeout(handle)
        this.timers.delete(handle)
        reject(signal.reason)
      }
      const handle = timers.setTimeout(() => {
        this.timers.delete(handle)
        signal.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      this.timers.add(handle)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** autoFlush after enqueue: wait `batchDelayMs` so writes enqueued together (a bulk edit) share one request. */
  private schedulePump(): void {
    if (this.pumpTimer !== undefined || this.destroyed) return
    const handle = this.options.ports.timers.setTimeout(() => {
      this.timers.delete(handle)
      this.pumpTimer = undefined
      this.pump()
    }, this.options.batchDelayMs)
    this.pumpTimer = handle
    this.timers.add(handle)
  }

  private scheduleWake(): void {
    if (this.wakeTimer !== undefined || this.destroyed) return
    const handle = this.options.ports.timers.setTimeout(() => {
      this.timers.delete(handle)
      this.wakeTimer = undefined
      this.trigger()
    }, this.options.retryIntervalMs)
    this.wakeTimer = handle
    this.timers.add(handle)
  }

  private async removeStored(ids: string[]): Promise<void> {
    if (ids.length === 0) return
    try {
      await this.options.storage.remove(this.options.namespace, ids)
    } catch (cause) {
      throw new QueueError('STORAGE_FAILED', `Could not remove ${ids.length} entr${ids.length === 1 ? 'y' : 'ies'} from ${this.options.storage.description}: ${messageOf(cause)}. They may be sent again on the next start (writes are idempotent).`, { cause })
    }
  }

  private liveCount(): number {
    let count = 0
    for (const entry of this.entries) if (isLive(entry.state)) count++
    return count
  }

  private fail(error: QueueError): void {
    this.lastError = failureOf(error)
    this.publish()
    this.options.onError(error)
  }

  private deadChanged(): void {
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

  private publish(): void {
    if (this.destroyed) return
    this.statusStore.set({ pending: this.liveCount(), failed: this.failedStore.get().length, flushing: this.running > 0, lastError: this.lastError ?? this.loadError })
  }

  /** Answers flush() callers once nothing runs, nothing is being stored and nothing more can be sent now. */
  private settle(): void {
    if (this.flushWaiters.length === 0 || this.running > 0) return
    if (this.entries.some((entry) => entry.state === 'storing' || (entry.state === 'sent' && entry.removing))) return
    if (this.online && this.nextBatch()) return
    const pending = this.liveCount()
    for (const waiter of this.flushWaiters.splice(0)) waiter.resolve({ sent: this.totalSent - waiter.sent, failed: this.totalDead - waiter.dead, pending })
  }
}

/** An AbortController that follows `parent`; `release()` detaches it. */
function linked(parent: AbortSignal): AbortController & { release(): void } {
  const controller = new AbortController() as AbortController & { release(): void }
  const forward = () => controller.abort(parent.reason)
  if (parent.aborted) forward()
  else parent.addEventListener('abort', forward, { once: true })
  controller.release = () => parent.removeEventListener('abort', forward)
  return controller
}

/** The seq of a corrupt record when it can still be read (so new writes are ordered after it), else 0. */
function seqOf(raw: string): number {
  const match = /\\?"seq\\?":(\d+)/.exec(raw)
  return match ? Number(match[1]) : 0
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

function asQueueError(error: unknown): QueueError {
  return error instanceof QueueError ? error : new QueueError('STORAGE_FAILED', messageOf(error), { cause: error })
}

function failureOf(error: unknown): QueueFailure {
  const at = Date.now()
  if (error instanceof RequestFailure) {
    return { code: isRetryable(error) || isAuthExpired(error) ? 'UNREACHABLE' : 'REJECTED', message: error.message, status: error.status, pgCode: error.pgCode, details: error.details, hint: error.hint, at }
  }
  if (error instanceof QueueError) return { code: error.code, message: error.message, at }
  return { code: 'UNREACHABLE', message: messageOf(error), at }
}
