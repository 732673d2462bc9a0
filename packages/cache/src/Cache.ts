/**
 * A record version. Numbers compare numerically (finite, exact up to 2^53: e.g. `Date.parse(row.updated_at)`
 * or a commit timestamp in ms); strings compare by Unicode code point (e.g. fixed-width ISO-8601 UTC
 * timestamps). Use one version type per cache: comparing a number with a string throws `CacheVersionError`.
 */
export type CacheVersion = number | string

/** One cached record: its key (e.g. the row's primary key), its version and its JSON-serialisable value. */
export interface CacheEntry<V> {
  /** The record key, e.g. the row's primary key as a string. */
  key: string
  /** The record version, e.g. `Date.parse(row.updated_at)`; see `CacheVersion`. */
  version: CacheVersion
  /** The record, JSON-serialisable. */
  value: V
}

/** Counters of one cache instance since it was created (in-process: Redis counters are per adapter instance). */
export interface CacheStats {
  /** Reads (`get`, each key of `getMany`) that found an entry. */
  hits: number
  /** Reads that found nothing. */
  misses: number
  /** Writes that were applied (newer or equal version, or no stored entry). */
  sets: number
  /** Writes skipped because the stored version was newer. */
  skippedStale: number
  /** Entries evicted to respect a size limit (memory cache only). */
  evictions?: number
  /** Entries held now, when the adapter can tell without I/O (memory cache only). */
  entries?: number
  /** Per-layer stats (tiered cache only). */
  layers?: { l1: CacheStats; l2: CacheStats }
}

/**
 * The one interface every adapter implements.
 *
 * Version rule: a write whose version is older than the stored one is a no-op and reports `false`; an equal
 * version overwrites (idempotent replays of the same row are harmless) and reports `true`. `delete`, `clear`,
 * LRU eviction and Redis TTL expiry forget the version: a later write of any version is then accepted.
 *
 * Values must survive JSON (plain objects, arrays, strings, numbers, booleans, null). The memory cache keeps
 * references: do not mutate a value after `set` or an entry returned by `get`.
 *
 * Namespaces: every cache is a view of one namespace of its storage (`'default'` unless the adapter's `namespace`
 * option says otherwise). `scoped(namespace)` returns the view of another namespace over the same storage: keys,
 * versions, `getMany`, `entries` and `clear` of one namespace never see another's. Use one namespace per signed-in
 * user, e.g. `cache.scoped(session.user.id)`, and `cache.scoped(userId).clear()` at sign-out.
 */
export interface Cache<V> {
  /** The namespace this view reads and writes: `'default'` unless given by the adapter's option or `scoped()`. */
  readonly namespace: string
  /**
   * A view of `namespace` (a non-empty string, e.g. the signed-in user's id) over the same storage and connection:
   * it sees only that namespace's entries, and its `clear()` removes only them. Not nested: `scoped(a).scoped(b)` is
   * the view of `b`. Stats are shared with the whole cache. `close()` of a view flushes its writes and closes the
   * view only; `close()` of the cache the adapter function returned closes the storage and every view.
   */
  scoped(namespace: string): Cache<V>
  /** The entry for `key`, or `undefined`. */
  get(key: string): Promise<CacheEntry<V> | undefined>
  /** Entries for `keys`, in the same order (`undefined` where missing). */
  getMany(keys: readonly string[]): Promise<Array<CacheEntry<V> | undefined>>
  /** Stores `entry` unless a newer version is stored. Resolves `true` if written, `false` if skipped as stale. */
  set(entry: CacheEntry<V>): Promise<boolean>
  /** `set` for each entry, in order (later entries for the same key see earlier ones). One result per entry. */
  setMany(entries: readonly CacheEntry<V>[]): Promise<boolean[]>
  /** Removes `key` (and forgets its version). */
  delete(key: string): Promise<void>
  /** Removes every entry of this namespace (other namespaces, and other databases or prefixes, are kept). */
  clear(): Promise<void>
  /**
   * Every entry of this cache (its namespace only), e.g. to show cached rows at start before the network answers.
   * Optional: memory, IndexedDB and tiered caches have it (tiered: from `l2`); Redis does not (it is shared and may be
   * large). Not counted as hits or misses, and does not change LRU order.
   */
  entries?(): Promise<Array<CacheEntry<V>>>
  /** A snapshot of the counters. */
  stats(): CacheStats
  /** Flushes pending writes and releases what the adapter holds. Later calls reject with `CacheClosedError`. */
  close(): Promise<void>
}
