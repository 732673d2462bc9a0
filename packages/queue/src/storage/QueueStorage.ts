/**
 * Where a queue keeps its entries: opaque string records under a key, grouped by scope (the queue's namespace).
 * Implementations must make `write` atomic per key (a crash leaves the old record or the new one, never a mix) and
 * must reject, not swallow, a failed write: the queue turns that into a `STORAGE_FAILED` error for the caller.
 */
export interface QueueStorage {
  /** A name for messages (`file:/var/app/outbox`). */
  readonly description: string
  /**
   * Where the records live, when two storage objects can reach the same place (`file:/abs/path`,
   * `indexeddb:name`). Two queues on the same location + namespace in one process are refused. Omit it for a
   * storage whose objects never share records (each object is then its own place).
   */
  readonly location?: string
  /**
   * Every record of a scope, key → text. Reject only when the scope cannot be read at all: a single record that cannot
   * be read should be handed over as any text the queue cannot decode (it is then quarantined and counted in
   * `status.failed`), so one bad record never hides the others.
   */
  readAll(scope: string): Promise<Map<string, string>>
  /** Creates or replaces one record. Resolves once it is durable as far as this storage can promise. */
  write(scope: string, key: string, text: string): Promise<void>
  /** Removes records; a missing key is not an error. */
  remove(scope: string, keys: readonly string[]): Promise<void>
}
