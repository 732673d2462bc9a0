import { resolveQueueOptions, type QueueOptions } from './options.js'
import { Queue } from './Queue.js'

/**
 * Creates a durable offline write queue. Stored writes from an earlier run (same storage + namespace) load at once
 * and flush when online (`queue.ready` resolves after the load).
 *
 * @example
 * const queue = createQueue({ executor: supabaseExecutor(supabase), storage: indexedDbStorage({ name: 'outbox' }), namespace: userId })
 * await queue.enqueue({ table: 'components', type: 'upsert', rows: [{ id, milestone: 'welded' }] })
 */
export function createQueue(options: QueueOptions): Queue {
  return new Queue(resolveQueueOptions(options))
}
