import pRetry from 'p-retry'
import { redactValues } from '@supasync/core'
import { batchWeight, buildRequest } from './batching.js'
import { encodeEntry } from './entry.js'
import { QueueError } from './errors.js'
import { asQueueError, failureOf } from './failureOf.js'
import { KeyLocks } from './KeyLocks.js'
import { describeOperation } from './operations.js'
import { explainKeyFailure } from './explainKeyFailure.js'
import type { FlushResult } from './queueTypes.js'
import type { QueueState, RuntimeEntry } from './QueueState.js'
import { isAuthExpired, isRetryable, RequestFailure } from './requestFailure.js'

/** A TimerPort handle (core's TimerHandle, which is `unknown`). */
type TimerHandle = unknown

interface FlushWaiter {
  resolve: (result: FlushResult) => void
  reject: (error: Error) => void
  /** `totalSent` / `totalDead` when flush() was called. */
  sent: number
  dead: number
}

/**
 * The flush engine: picks batches under record locks, sends them with p-retry, hands failures to classification
 * (wait for the next trigger, split the batch, or dead-letter), removes confirmed writes from storage, and answers
 * flush() callers once the queue is idle. Owns every timer and in-flight request of the queue.
 */
export class Sender {
  private readonly timers = new Set<TimerHandle>()
  private readonly controllers = new Set<AbortController>()
  private flushWaiters: FlushWaiter[] = []
  private wakeTimer: TimerHandle | undefined
  private pumpTimer: TimerHandle | undefined
  /** A flush() or trigger asked to send everything (matters with autoFlush: false). */
  private draining = false
  private totalSent = 0
  private totalDead = 0
  /** Since when batches have been in flight without a pause, and what was sent before (for the flush event). */
  private busy: { since: number; sent: number } | undefined

  constructor(private readonly state: QueueState) {}

  get timerCount(): number {
    return this.timers.size
  }

  get inflightCount(): number {
    return this.controllers.size
  }

  /** Resolves when the queue is idle; see `Queue.flush`. */
  flush(): Promise<FlushResult> {
    return new Promise<FlushResult>((resolve, reject) => {
      this.flushWaiters.push({ resolve, reject, sent: this.totalSent, dead: this.totalDead })
      this.wakeAll()
      this.pump(true)
    })
  }

  /** A network, visibility or connection trigger: give waiting writes a new round. */
  trigger(): void {
    if (this.state.destroyed || !this.state.isReady) return
    this.wakeAll()
    this.pump(true)
  }

  /** Aborts in-flight requests (they stay stored and replay next time) and clears every timer. */
  stop(abortReason: () => Error): void {
    for (const controller of this.controllers) controller.abort(abortReason())
    this.controllers.clear()
    for (const handle of this.timers) this.state.options.ports.timers.clearTimeout(handle)
    this.timers.clear()
    this.wakeTimer = undefined
    this.pumpTimer = undefined
  }

  /** Rejects every pending flush() call. */
  rejectFlushes(error: () => Error): void {
    for (const waiter of this.flushWaiters.splice(0)) waiter.reject(error())
  }

  private wakeAll(): void {
    for (const entry of this.state.entries) if (entry.state === 'waiting') this.state.move(entry, 'wake')
    if (this.wakeTimer !== undefined) {
      this.state.options.ports.timers.clearTimeout(this.wakeTimer)
      this.timers.delete(this.wakeTimer)
      this.wakeTimer = undefined
    }
  }

  /** Starts as many batches as `concurrency` allows, then checks whether flush() callers can be answered. */
  pump(force = false): void {
    const { state } = this
    if (state.destroyed || !state.isReady) return
    // flush() callers still waiting (e.g. for a write being stored) keep the queue draining with autoFlush: false.
    if (force || this.flushWaiters.length > 0) this.draining = true
    if (force) this.retryRemovals()
    if ((state.options.autoFlush || this.draining) && state.online) {
      while (state.running < state.options.concurrency) {
        const batch = this.nextBatch()
        if (!batch) break
        if (state.running === 0 && this.busy === undefined) this.busy = { since: state.options.ports.timers.now(), sent: this.totalSent }
        state.running++
        void this.send(batch).finally(() => {
          state.running--
          state.publish()
          this.pump()
        })
      }
    }
    if (state.running === 0) {
      this.draining = false
      this.reportFlush()
    }
    state.publish()
    this.settle()
  }

  /** Ends a busy period (something was sent, nothing runs now): one `queue-flush` event for sync.onEvent. */
  private reportFlush(): void {
    const busy = this.busy
    if (!busy) return
    this.busy = undefined
    const { state } = this
    const sync = state.options.sync
    if (!sync?.eventsActive) return
    sync.emitEvent?.({
      type: 'queue-flush',
      queue: state.options.namespace,
      sent: this.totalSent - busy.sent,
      remaining: state.liveCount(),
      ms: Math.max(0, state.options.ports.timers.now() - busy.since),
    })
  }

  /**
   * The oldest sendable write whose records no earlier unfinished write holds, plus the consecutive writes that can
   * share its request. O(entries × keys).
   */
  private nextBatch(): RuntimeEntry[] | undefined {
    const locks = new KeyLocks()
    const entries = this.state.entries
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
          if (candidate.state !== 'pending' || candidate.solo || candidate.batch !== entry.batch || weight + candidateWeight > this.state.options.maxBatchRows) break
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
    const { state } = this
    const { executor, retry, idColumn } = state.options
    const controller = new AbortController()
    this.controllers.add(controller)
    const signal = controller.signal
    for (const entry of batch) state.move(entry, 'send')
    const request = buildRequest(
      batch.map((entry) => entry.stored.op),
      idColumn,
    )
    try {
      await pRetry(
        async () => {
          for (const entry of batch) {
            entry.stored.attempts++
            if (entry.state === 'retrying') state.move(entry, 'send')
          }
          state.inspectChanged()
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
          shouldRetry: ({ error }) => isRetryable(error) && state.online && !state.destroyed,
          onFailedAttempt: async ({ error, retriesLeft }) => {
            state.lastError = failureOf(error)
            if (!isRetryable(error) || retriesLeft <= 0 || !state.online) return
            for (const entry of batch) if (entry.state === 'inflight') state.move(entry, 'attemptFailed')
            state.publish()
            const wait = error instanceof RequestFailure ? error.retryAfterMs : undefined
            if (wait !== undefined) await this.sleep(Math.min(wait, retry.maxRetryAfterMs), signal)
          },
        },
      )
    } catch (error) {
      this.controllers.delete(controller)
      if (state.destroyed || signal.aborted) return
      this.onBatchFailed(batch, error)
      return
    }
    this.controllers.delete(controller)
    for (const entry of batch) state.move(entry, 'succeeded')
    this.totalSent += batch.length
    if (!state.entries.some((entry) => entry.state === 'waiting')) state.lastError = null
    await this.removeSent(batch)
  }

  /**
   * Removes confirmed writes from storage. Until that worked they stay in memory (state `sent`) holding their records,
   * so a later write to the same record cannot be sent before them: otherwise a restart would replay the stale one
   * over it. A failed removal is retried on the next trigger or flush.
   */
  private async removeSent(sent: RuntimeEntry[]): Promise<void> {
    const { state } = this
    for (const entry of sent) entry.removing = true
    try {
      await state.removeStored(sent.map((entry) => entry.stored.id))
    } catch (error) {
      for (const entry of sent) entry.removing = false
      if (state.destroyed) return
      state.fail(asQueueError(error))
      this.scheduleWake()
      return
    }
    for (const entry of sent) if (entry.state === 'sent' && state.entries.includes(entry)) state.move(entry, 'removed')
  }

  private retryRemovals(): void {
    const stuck = this.state.entries.filter((entry) => entry.state === 'sent' && !entry.removing)
    if (stuck.length === 0) return
    void this.removeSent(stuck).finally(() => {
      this.state.publish()
      this.pump()
    })
  }

  private onBatchFailed(batch: RuntimeEntry[], error: unknown): void {
    const { state } = this
    const failure = failureOf(error)
    state.lastError = failure
    if (isRetryable(error) || isAuthExpired(error)) {
      // An expired/invalid JWT too: the session may have refreshed by the next trigger (online, visible, flush()).
      for (const entry of batch) state.move(entry, 'exhausted')
      this.scheduleWake()
      return
    }
    if (batch.length > 1) {
      // One of them is refused; send each alone so only that one becomes a dead letter.
      for (const entry of batch) {
        state.move(entry, 'split')
        entry.solo = true
      }
      return
    }
    const entry = batch[0]!
    state.move(entry, 'rejected')
    const fix = explainKeyFailure(entry.stored.op, failure, state.options.idColumn)
    const dead = fix ? { ...failure, message: `${failure.message.replace(/\.?$/, '.')} ${fix}` } : failure
    if (fix) state.lastError = dead
    entry.stored = { ...entry.stored, dead }
    this.totalDead++
    state.deadChanged()
    const sync = state.options.sync
    if (sync?.eventsActive) {
      const op = entry.stored.op as { table?: string; rpc?: string }
      sync.emitEvent?.({ type: 'dead-letter', queue: state.options.namespace, id: entry.stored.id, table: op.table ?? op.rpc ?? '', reason: redactValues(dead.message), status: dead.status, pgCode: dead.pgCode })
    }
    state.options.onError(new QueueError('REJECTED', `The server refused ${describeOperation(entry.stored.op)}: ${dead.message}${fix ? '' : '.'} It is a dead letter (queue.failed); fix the cause, then retry(${JSON.stringify(entry.stored.id)}) or discard it.`, { cause: error }))
    void state.options.storage.write(state.options.namespace, entry.stored.id, encodeEntry(entry.stored)).then(
      () => {
        state.noteStored([entry.stored.id])
        state.storageChanged()
      },
      (cause: unknown) => state.fail(asQueueError(cause)),
    )
  }

  /** One attempt with a timeout; a timeout or abort becomes a network error (status 0). */
  private async attempt(run: () => Promise<void>, attemptSignal: AbortController & { release(): void }): Promise<void> {
    const { requestTimeoutMs, ports } = this.state.options
    let timer: TimerHandle | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = ports.timers.setTimeout(() => {
        this.timers.delete(timer)
        const error = new RequestFailure({ status: 0, message: `No response within ${Math.round(requestTimeoutMs)} ms (requestTimeoutMs)` })
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
    const { timers } = this.state.options.ports
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
  schedulePump(): void {
    if (this.pumpTimer !== undefined || this.state.destroyed) return
    const handle = this.state.options.ports.timers.setTimeout(() => {
      this.timers.delete(handle)
      this.pumpTimer = undefined
      this.pump()
    }, this.state.options.batchDelayMs)
    this.pumpTimer = handle
    this.timers.add(handle)
  }

  private scheduleWake(): void {
    if (this.wakeTimer !== undefined || this.state.destroyed) return
    const handle = this.state.options.ports.timers.setTimeout(() => {
      this.timers.delete(handle)
      this.wakeTimer = undefined
      this.trigger()
    }, this.state.options.retryIntervalMs)
    this.wakeTimer = handle
    this.timers.add(handle)
  }

  /** Answers flush() callers once nothing runs, nothing is being stored and nothing more can be sent now. */
  settle(): void {
    const { state } = this
    if (this.flushWaiters.length === 0 || state.running > 0) return
    if (state.entries.some((entry) => entry.state === 'storing' || (entry.state === 'sent' && entry.removing))) return
    if (state.online && this.nextBatch()) return
    const pending = state.liveCount()
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
