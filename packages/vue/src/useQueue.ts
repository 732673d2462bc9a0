import type { FlushResult, Queue, QueueOperation, QueuedWrite } from '@supasync/queue'
import { resolveSupasync, usageError, type SupasyncInstance } from './useSupasync.js'

/** What {@link useQueue} returns: the plugin's queue and its methods. */
export interface UseQueueReturn {
  queue: Queue
  /** Stores the write durably and sends it when it can (see `Queue.enqueue`); rejects with QUEUE_FULL when full. */
  enqueue: (operation: QueueOperation) => Promise<QueuedWrite>
  /** Sends every queued write now; resolves when the queue is idle (see `Queue.flush`). */
  flush: () => Promise<FlushResult>
  /** Moves a dead letter back into the queue (see `Queue.retry`). */
  retry: (id: string) => Promise<void>
  /** Drops a dead letter for good (see `Queue.discard`). */
  discard: (id: string) => Promise<void>
}

/** The queue of the plugin (or of the explicit instance); throws saying how to provide one when there is none. */
export function useProvidedQueue(caller: string, instance: SupasyncInstance | undefined): Queue {
  const { queue } = resolveSupasync(instance, caller)
  if (!queue) {
    throw usageError(`${caller}(): no queue. Pass one: app.use(SupasyncPlugin, { sync, queue: createQueue({ executor: supabaseExecutor(supabase) }) }).`)
  }
  return queue
}

/**
 * The offline write queue given to the plugin: `enqueue` writes that survive reloads and go out when the network
 * allows. Holds nothing, so it needs no effect scope (only an app context, or the instance).
 *
 * ```ts
 * const { enqueue } = useQueue()
 * await enqueue({ type: 'update', table: 'components', values: { milestone: 'welded' }, match: { id: 7 } })
 * ```
 *
 * @param instance `{ sync, queue }` to use instead of the plugin's. Default: the plugin's.
 */
export function useQueue(instance?: SupasyncInstance): UseQueueReturn {
  const queue = useProvidedQueue('useQueue', instance)
  return {
    queue,
    enqueue: (operation) => queue.enqueue(operation),
    flush: () => queue.flush(),
    retry: (id) => queue.retry(id),
    discard: (id) => queue.discard(id),
  }
}
