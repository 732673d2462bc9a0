import type { Cache, CacheEntry } from '@supasync/cache'
import { PollingError } from './errors.js'

/** The cache key under which lastSyncedAt is kept with the rows (no primary key starts with NUL). */
export const SYNCED_AT_KEY = '\u0000supasync:lastSyncedAt'

/** How often lastSyncedAt is saved at most, in ms (it moves every second in realtime mode). */
const SAVE_SYNCED_AT_EVERY_MS = 5000

/**
 * A live table's rows written through to a `@supasync/cache` adapter (batched per microtask), with the table's
 * lastSyncedAt beside them, and read back at start so an app opened offline shows its data and how old it is.
 */
export class CacheMirror<R extends object> {
  private readonly pending = new Map<string, CacheEntry<R> | null>()
  private scheduled = false
  private savedSyncAt = 0

  constructor(
    private readonly cache: Cache<R>,
    private readonly table: string,
    private readonly report: (error: PollingError) => void,
  ) {}

  /**
   * The cached rows and the lastSyncedAt saved with them. Undefined when the cache cannot list its entries
   * (redisCache) or reading failed (reported).
   */
  async restore(): Promise<{ rows: Array<CacheEntry<R> & { version: number }>; syncedAt: number | undefined } | undefined> {
    if (!this.cache.entries) return undefined
    try {
      const rows: Array<CacheEntry<R> & { version: number }> = []
      let syncedAt: number | undefined
      for (const entry of await this.cache.entries()) {
        if (typeof entry.version !== 'number') continue
        if (entry.key === SYNCED_AT_KEY) syncedAt = entry.version
        else if (entry.value && typeof entry.value === 'object') rows.push({ key: entry.key, version: entry.version, value: entry.value })
      }
      if (syncedAt !== undefined) this.savedSyncAt = syncedAt
      return { rows, syncedAt }
    } catch (cause) {
      this.report(new PollingError('REJECTED', `Reading ${this.table} rows from the cache at start failed (${messageOf(cause)}); the table loads from the server instead.`, { cause }))
      return undefined
    }
  }

  /** Queues a row (undefined: its deletion) for the next batch. */
  write(key: string, row: R | undefined, version: number): void {
    this.pending.set(key, row === undefined ? null : { key, version, value: row })
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => this.flush())
  }

  /** Saves lastSyncedAt beside the rows, at most every 5 s. */
  saveSyncedAt(at: number): void {
    if (at - this.savedSyncAt < SAVE_SYNCED_AT_EVERY_MS) return
    this.savedSyncAt = at
    // The value is never read: the version carries the time.
    this.cache.set({ key: SYNCED_AT_KEY, version: at, value: null as unknown as R }).catch(() => {})
  }

  /** Writes the queued batch now. */
  flush(): void {
    this.scheduled = false
    if (this.pending.size === 0) return
    const sets: CacheEntry<R>[] = []
    const deletes: string[] = []
    for (const [key, entry] of this.pending) entry ? sets.push(entry) : deletes.push(key)
    this.pending.clear()
    const failed = (cause: unknown) =>
      this.report(new PollingError('REJECTED', `Writing ${this.table} rows to the cache failed (${messageOf(cause)}); the live view is unaffected.`, { cause }))
    if (sets.length > 0) this.cache.setMany(sets).catch(failed)
    for (const key of deletes) this.cache.delete(key).catch(failed)
  }
}

const messageOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))
