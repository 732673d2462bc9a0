import { redactValues, type InspectDeadLetter, type InspectDeadLetterActions, type InspectPendingWrite, type InspectQueue, type InspectQueueFailure, type InspectRegistration, type InspectWrite, type InspectWriteState } from '@supasync/core'
import type { QueueFailure } from './errors.js'
import { describeOperation, type QueueOperation } from './operations.js'
import type { QueueState } from './QueueState.js'
import type { DeadLetter } from './queueTypes.js'

/**
 * Code, message, status, Postgres code, time: never `details` and `hint`, which may quote the row ("Failing row
 * contains (…)"), and the message without the values Postgres quotes in it (`invalid input syntax for type integer:
 * "…"`), as in the queue's `dead-letter` events.
 */
function failure(reason: QueueFailure): InspectQueueFailure {
  return { code: reason.code, message: redactValues(reason.message), status: reason.status, pgCode: reason.pgCode, at: reason.at }
}

/** What a write is, without its values: kind, target, row count (an update's match keys are in its description). */
function shape(op: QueueOperation | undefined): Pick<InspectWrite, 'kind' | 'target' | 'rowCount'> {
  if (op === undefined) return { kind: 'corrupt', target: undefined, rowCount: undefined }
  if ('rpc' in op) return { kind: 'rpc', target: op.rpc, rowCount: undefined }
  return { kind: op.type, target: op.table, rowCount: op.type === 'insert' || op.type === 'upsert' ? op.rows.length : undefined }
}

function deadLetter(letter: DeadLetter): InspectDeadLetter {
  return { id: letter.id, description: letter.description, ...shape(letter.operation), attempts: letter.attempts, enqueuedAt: letter.enqueuedAt, reason: failure(letter.reason) }
}

/** The queue's entry in `sync.inspect()`: counts, its pending writes with their state and age, its dead letters. */
function queueEntry(id: string, state: QueueState): InspectQueue {
  const status = state.statusStore.get()
  const pendingWrites: InspectPendingWrite[] = []
  for (const entry of state.entries) {
    if (entry.state === 'dead' || entry.state === 'sent') continue
    const { id: entryId, op, attempts, enqueuedAt } = entry.stored
    pendingWrites.push({ id: entryId, description: describeOperation(op), ...shape(op), attempts, enqueuedAt, state: entry.state as InspectWriteState })
  }
  return {
    id,
    name: state.options.namespace,
    storage: state.options.storage.description,
    pending: status.pending,
    failed: status.failed,
    flushing: status.flushing,
    oldestPendingAt: pendingWrites[0]?.enqueuedAt,
    pendingWrites,
    deadLetters: state.failedStore.get().map(deadLetter),
    lastError: status.lastError === null ? undefined : failure(status.lastError),
  }
}

/**
 * Registers the queue with the supasync instance it was given (`createQueue({ sync })`), so `sync.inspect()` shows it
 * and a devtools panel can retry or discard its dead letters. The entry is rebuilt only after the queue changed: its
 * status, its dead letters, an entry's state or attempts (`state.inspectChanged`). Returns the function that takes it
 * out again, or undefined when `sync` has no `registerInspect` (a fake, or a core without it).
 */
export function inspectQueue(state: QueueState, actions: InspectDeadLetterActions): (() => void) | undefined {
  const sync = state.options.sync
  if (typeof sync?.registerInspect !== 'function') return undefined
  const registration: InspectRegistration = sync.registerInspect('queue', (_takenAt, previous) => previous ?? queueEntry(registration.id, state), actions)
  const changed = () => registration.changed()
  state.inspectChanged = changed
  const offStatus = state.statusStore.subscribe(changed)
  const offFailed = state.failedStore.subscribe(changed)
  return () => {
    offStatus()
    offFailed()
    state.inspectChanged = () => {}
    registration.unregister()
  }
}
