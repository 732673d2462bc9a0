import type { Cache, CacheEntry } from './Cache'
import { assertVersion, compareVersions } from './compareVersions'
import { CacheClosedError } from './errors'
import { DEFAULT_NAMESPACE, KeySpace, namespaceOfStorageKey } from './KeySpace'
import { StatsCounter } from './StatsCounter'

/** Options of `memoryCache`. */
export interface MemoryCacheOptions {
  /**
   * Most entries kept, over all namespaces (unit: entries). Beyond it the least recently used entry (by `get`/`set`)
   * is evicted, and its version forgotten. Default `100_000` (a large project's rows); `Infinity` disables eviction.
   */
  maxEntries?: number
  /** The namespace the returned cache reads and writes (see `Cache.scoped`). Default `'default'`. */
  namespace?: string
}

/** The memory cache: the `Cache` interface plus synchronous reads for render paths. */
export interface MemoryCache<V> extends Cache<V> {
  /** `get` without a promise: O(1), counts a hit or miss and refreshes recency. */
  getSync(key: string): CacheEntry<V> | undefined
  /** Entries held now in this namespace. */
  readonly size: number
  /** The view of another namespace over the same memory; see `Cache.scoped`. */
  scoped(namespace: string): MemoryCache<V>
}

/** Default of `MemoryCacheOptions.maxEntries`. */
export const DEFAULT_MAX_ENTRIES = 100_000

const ADAPTER = 'memoryCache'

/**
 * An in-process LRU cache on one `Map` (insertion order = recency) shared by every namespace, keyed by the
 * namespaced key: O(1) `get`/`set`, versioned writes. Holds no timers; `close()` drops every entry.
 */
export function memoryCache<V = unknown>(options: MemoryCacheOptions = {}): MemoryCache<V> {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
  if (!(maxEntries >= 1)) {
    throw new RangeError(`memoryCache: maxEntries must be ≥ 1 (got ${String(maxEntries)}); use Infinity for no limit`)
  }
  const storage = {
    map: new Map<string, CacheEntry<V>>(),
    /** Entries per namespace, so `size` of a view is O(1). */
    counts: new Map<string, number>(),
    stats: new StatsCounter(),
    evictions: 0,
    closed: false,
  }
  const count = (namespace: string, delta: number): void => {
    const next = (storage.counts.get(namespace) ?? 0) + delta
    if (next === 0) storage.counts.delete(namespace)
    else storage.counts.set(namespace, next)
  }
  const remove = (storageKey: string): void => {
    if (storage.map.delete(storageKey)) count(namespaceOfStorageKey(storageKey), -1)
  }

  const view = (space: KeySpace, owner: boolean): MemoryCache<V> => {
    let closed = false
    const open = (): void => {
      if (closed || storage.closed) throw new CacheClosedError(space.namespace === DEFAULT_NAMESPACE ? ADAPTER : `${ADAPTER} namespace "${space.namespace}"`)
    }

    const read = (key: string): CacheEntry<V> | undefined => {
      const storageKey = space.storageKey(key)
      const entry = storage.map.get(storageKey)
      if (entry === undefined) {
        storage.stats.misses++
        return undefined
      }
      storage.stats.hits++
      storage.map.delete(storageKey)
      storage.map.set(storageKey, entry)
      return entry
    }

    const write = (entry: CacheEntry<V>): boolean => {
      const { key, version, value } = entry
      assertVersion(version, key)
      const storageKey = space.storageKey(key)
      const stored = storage.map.get(storageKey)
      if (stored !== undefined) {
        if (compareVersions(version, stored.version, key) < 0) {
          storage.stats.written(false)
          return false
        }
        storage.map.delete(storageKey)
      } else {
        count(space.namespace, 1)
      }
      storage.map.set(storageKey, { key, version, value })
      storage.stats.written(true)
      while (storage.map.size > maxEntries) {
        const oldest = storage.map.keys().next()
        if (oldest.done) break
        remove(oldest.value)
        storage.evictions++
      }
      return true
    }

    return {
      namespace: space.namespace,
      scoped(namespace) {
        // No open() check: a view of a closed cache is harmless, its calls reject with CacheClosedError.
        return view(new KeySpace(namespace, ADAPTER), false)
      },
      getSync(key) {
        open()
        return read(key)
      },
      get size() {
        return storage.counts.get(space.namespace) ?? 0
      },
      async get(key) {
        open()
        return read(key)
      },
      async getMany(keys) {
        open()
        return keys.map(read)
      },
      async set(entry) {
        open()
        return write(entry)
      },
      async entries() {
        open()
        const out: Array<CacheEntry<V>> = []
        for (const [storageKey, entry] of storage.map) if (space.owns(storageKey)) out.push(entry)
        return out
      },
      async setMany(entries) {
        open()
        for (const entry of entries) {
          assertVersion(entry.version, entry.key) // all or nothing for invalid versions and keys
          space.checkKey(entry.key)
        }
        return entries.map(write)
      },
      async delete(key) {
        open()
        remove(space.storageKey(key))
      },
      async clear() {
        open()
        if (storage.counts.size <= 1 && storage.counts.has(space.namespace)) {
          // The only namespace held: drop the map instead of walking it.
          storage.map.clear()
          storage.counts.clear()
          return
        }
        for (const storageKey of [...storage.map.keys()]) if (space.owns(storageKey)) remove(storageKey)
      },
      stats() {
        return storage.stats.snapshot({ evictions: storage.evictions, entries: storage.map.size })
      },
      async close() {
        closed = true
        if (!owner) return
        storage.closed = true
        storage.map = new Map()
        storage.counts.clear()
      },
    }
  }

  return view(new KeySpace(options.namespace ?? DEFAULT_NAMESPACE, ADAPTER), true)
}
