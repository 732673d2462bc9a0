import { useMemo, useSyncExternalStore } from 'react'
import { SupasyncError } from '@supasync/core'
import type { FlushResult, Queue, QueueOperation, QueuedWrite, QueueStatus } from '@supasync/queue'
import { useSupasync } from './context.js'
import { bindStore } from './snapshots.js'

/** What {@link useQueue} returns: the provider's queue and its methods, the same functions on every render. */
export interface UseQueueResult {
  queue: Queue
  /** Stores the write durably and sends it when it can (see `Queue.enqueue`); rejects with QUEUE_FULL when full. */
  enqueue: (operation: QueueOperation) => Promise<QueuedWrite>
  flush: () => Promise<FlushResult>
  retry: (id: string) => Promise<void>
  discard: (id: string) => Promise<void>
}

const SERVER_QUEUE_STATUS: QueueStatus = Object.freeze({ pending: 0, failed: 0, flushing: false, lastError: null })

function useProvidedQueue(hook: string): Queue {
  const { queue } = useSupasync()
  if (!queue) {
    throw new SupasyncError(
      'INVALID_OPTIONS',
      `${hook}(): the <SupasyncProvider> above has no queue. Pass one: <SupasyncProvider sync={sync} queue={createQueue({ executor: supabaseExecutor(supabase) })}>.`,
    )
  }
  return queue
}

/**
 * The offline write queue of the provider: `enqueue` writes that survive reloads and go out when the network allows.
 *
 * ```tsx
 * const { enqueue } = useQueue()
 * await enqueue({ type: 'update', table: 'components', values: { milestone: 'welded' }, match: { id } })
 * ```
 */
export function useQueue(): UseQueueResult {
  const queue = useProvidedQueue('useQueue')
  return useMemo(
    () => ({
      queue,
      enqueue: (operation: QueueOperation) => queue.enqueue(operation),
      flush: () => queue.flush(),
      retry: (id: string) => queue.retry(id),
      discard: (id: string) => queue.discard(id),
    }),
    [queue],
  )
}

/**
 * `{ pending, failed, flushing, lastError }` of the provider's queue: `pending > 0` is the "Work not saved" banner,
 * `failed > 0` a list of writes the server refused. On the server: all zero.
 */
export function useQueueStatus(): QueueStatus {
  const queue = useProvidedQueue('useQueueStatus')
  const { subscribe, get } = useMemo(() => bindStore(queue.status), [queue])
  return useSyncExternalStore(subscribe, get, () => SERVER_QUEUE_STATUS)
}
