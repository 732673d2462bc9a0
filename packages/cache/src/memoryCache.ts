import type { Cache, CacheEntry } from './Cache'
import { assertVersion, compareVersions } from './compareVersions'
import { CacheClosedError } from './errors'
import { StatsCounter } from './StatsCounter'

/** Options of `memoryCache`. */
export interface MemoryCacheOptions {
  /**
   * Most entries kept (unit: entries). Beyond it the least recently used entry (by `get`/`set`) is evicted, and
   * its version forgotten. Default `100_000` (a large project's rows); `Infinity` disables eviction.
   */
  maxEntries?: number
}

/** The memory cache: the `Cache` interface plus synchronous reads for render paths. */
export interface MemoryCache<V> extends Cache<V> {
  /** `get` without a promise: O(1), counts a hit or miss and refreshes recency. */
  getSync(key: string): CacheEntry<V> | undefined
  /** Entries held now. */
  readonly size: number
}

/** Default of `MemoryCacheOptions.maxEntries`. */
export const DEFAULT_MAX_ENTRIES = 100_000

/**
 * An in-process LRU cache on a `Map` (insertion order = recency): O(1) `get`/`set`, versioned writes.
 * Holds no timers; `close()` drops every entry.
 */
export function memoryCache<V = unknown>(options: MemoryCacheOptions = {}): MemoryCache<V> {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
  if (!(maxEntries >= 1)) {
    throw new RangeError(`memoryCache: maxEntries must be ≥ 1 (got ${String(maxEntries)}); use Infinity for no limit`)
  }
  let map = new Map<string, CacheEntry<V>>()
  const stats = new StatsCounter()
  let evictions = 0
  let closed = false

  const open = (): void => {
    if (closed) throw new CacheClosedError('memoryCache')
  }

  const read = (key: string): CacheEntry<V> | undefined => {
    const entry = map.get(key)
    if (entry === undefined) {
      stats.misses++
      return undefined
    }
    stats.hits++
    map.delete(key)
    map.set(key, entry)
    return entry
  }

  const write = (entry: CacheEntry<V>): boolean => {
    const { key, version, value } = entry
    assertVersion(version, key)
    const stored = map.get(key)
    if (stored !== undefined) {
      if (compareVersions(version, stored.version, key) < 0) {
        stats.written(false)
        return false
      }
      map.delete(key)
    }
    map.set(key, { key, version, value })
    stats.written(true)
    while (map.size > maxEntries) {
      const oldest = map.keys().next()
      if (oldest.done) break
      map.delete(oldest.value)
      evictions++
    }
    return true
  }

  return {
    getSync(key) {
      open()
      return read(key)
    },
    get size() {
      return map.size
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
      return [...map.values()]
    },
    async setMany(entries) {
      open()
      for (const entry of entries) assertVersion(entry.version, entry.key) // all or nothing for invalid versions
      return entries.map(write)
    },
    async delete(key) {
      open()
      map.delete(key)
    },
    async clear() {
      open()
      map.clear()
    },
    stats() {
      return stats.snapshot({ evictions, entries: map.size })
    },
    async close() {
      closed = true
      map = new Map()
    },
  }
}
