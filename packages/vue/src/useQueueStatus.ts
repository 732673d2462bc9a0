import { onScopeDispose, shallowRef, type ShallowRef } from 'vue'
import type { QueueStatus } from '@supasync/queue'
import { bindStore, useClientScope, whenClient } from './keyedLease.js'
import { useProvidedQueue } from './useQueue.js'
import type { SupasyncInstance } from './useSupasync.js'

/** The queue status on the server and while hydrating: nothing is known to be pending there. */
export const SERVER_QUEUE_STATUS: QueueStatus = Object.freeze({ pending: 0, failed: 0, flushing: false, lastError: null })

/**
 * `{ pending, failed, flushing, lastError }` of the plugin's queue as a read-only shallowRef: `pending > 0` is the
 * "Work not saved" banner, `failed > 0` a list of writes the server refused (`queue.failed`). All zero on the server
 * and while hydrating.
 *
 * ```ts
 * const status = useQueueStatus()   // v-if="status.pending > 0": Work not saved
 * ```
 *
 * @param instance `{ sync, queue }` to use instead of the plugin's. Default: the plugin's.
 */
export function useQueueStatus(instance?: SupasyncInstance): Readonly<ShallowRef<QueueStatus>> {
  const queue = useProvidedQueue('useQueueStatus', instance)
  const context = useClientScope('useQueueStatus', instance)
  const status = shallowRef(context.server || context.hydrating ? SERVER_QUEUE_STATUS : queue.status.get())
  whenClient(context, () => onScopeDispose(bindStore(queue.status, (value) => (status.value = value))))
  return status
}
