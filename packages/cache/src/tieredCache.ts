import type { Cache, CacheEntry } from './Cache'
import { StatsCounter } from './StatsCounter'

/**
 * Two caches as one: `l1` is the fast near cache (e.g. `memoryCache()`), `l2` the larger or shared one (e.g.
 * `indexedDbCache()` or `redisCache()`), which is authoritative for the version rule.
 *
 * - Read-through: a miss in `l1` reads `l2` and fills `l1` with what it found.
 * - Write-through: writes go to `l2` first; when `l2` applies them they go to `l1`; when `l2` holds a newer version
 *   the `l1` copy is dropped, so the next read fetches the newer one.
 * - `stats()`: `hits`/`misses` of the tiered reads (a hit in either layer is a hit), `sets`/`skippedStale` as
 *   decided by `l2`, and `layers: { l1, l2 }` with each layer's own stats.
 * - `close()` closes both layers.
 * - Namespaces: both layers must be views of the same namespace; `scoped(namespace)` is the tiered cache of both
 *   layers' views of it, sharing these stats.
 */
export function tieredCache<V = unknown>(l1: Cache<V>, l2: Cache<V>): Cache<V> {
  return tiered(l1, l2, new StatsCounter())
}

function tiered<V>(l1: Cache<V>, l2: Cache<V>, stats: StatsCounter): Cache<V> {
  if (l1.namespace !== l2.namespace) {
    throw new TypeError(
      `tieredCache: l1 sees namespace "${l1.namespace}" and l2 "${l2.namespace}", so l1 could answer with another namespace's entries. ` +
        'Create both layers with the same namespace option, or build the tiered cache without one and call .scoped(namespace) on it',
    )
  }

  const getMany = async (keys: readonly string[]): Promise<Array<CacheEntry<V> | undefined>> => {
    const found = await l1.getMany(keys)
    const missing: number[] = []
    found.forEach((entry, i) => {
      if (entry === undefined) missing.push(i)
    })
    if (missing.length > 0) {
      const fromL2 = await l2.getMany(missing.map((i) => keys[i] as string))
      const fill: Array<CacheEntry<V>> = []
      missing.forEach((index, j) => {
        const entry = fromL2[j]
        if (entry !== undefined) {
          found[index] = entry
          fill.push(entry)
        }
      })
      if (fill.length > 0) await l1.setMany(fill)
    }
    for (const entry of found) {
      if (entry === undefined) stats.misses++
      else stats.hits++
    }
    return found
  }

  const setMany = async (entries: readonly CacheEntry<V>[]): Promise<boolean[]> => {
    const results = await l2.setMany(entries)
    const applied = entries.filter((_, i) => results[i] === true)
    const stale = entries.filter((_, i) => results[i] !== true)
    await Promise.all([
      applied.length > 0 ? l1.setMany(applied) : undefined,
      ...stale.map((entry) => l1.delete(entry.key)),
    ])
    for (const result of results) stats.written(result)
    return results
  }

  return {
    namespace: l2.namespace,
    scoped(namespace) {
      return tiered(l1.scoped(namespace), l2.scoped(namespace), stats)
    },
    async get(key) {
      return (await getMany([key]))[0]
    },
    // l2 holds everything l1 holds (writes go through it first); a tiered cache without an enumerable l2 has none.
    ...(l2.entries ? { entries: () => l2.entries!() } : {}),
    getMany,
    async set(entry) {
      return (await setMany([entry]))[0] ?? false
    },
    setMany,
    async delete(key) {
      await l2.delete(key)
      await l1.delete(key)
    },
    async clear() {
      await l2.clear()
      await l1.clear()
    },
    stats() {
      return stats.snapshot({ layers: { l1: l1.stats(), l2: l2.stats() } })
    },
    async close() {
      await Promise.all([l1.close(), l2.close()])
    },
  }
}
