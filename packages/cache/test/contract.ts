import { afterEach, describe, expect, it } from 'vitest'
import { CacheClosedError, CacheVersionError, type Cache, type CacheEntry } from '../src/index'

/** Options of `runCacheContract`. */
export interface ContractOptions {
  /** Check that no timer is left after `close()` (adapters that hold only in-process resources). Default true. */
  checkTimers?: boolean
  /** Called after each test, after the cache was cleared and closed (e.g. to assert Redis holds no leftover keys). */
  afterEach?: () => Promise<void> | void
}

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

/** Shuffles a copy deterministically (no Math.random: failures must reproduce). */
function shuffled<T>(items: readonly T[], seed = 7): T[] {
  const out = [...items]
  let s = seed
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648
    const j = s % (i + 1)
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

/**
 * The one contract every adapter passes. `makeCache` returns a fresh, empty cache per test; the suite clears and
 * closes it afterwards.
 */
export function runCacheContract(
  name: string,
  makeCache: () => Cache<unknown> | Promise<Cache<unknown>>,
  options: ContractOptions = {},
): void {
  describe(`cache contract: ${name}`, () => {
    let current: Cache<unknown> | undefined
    let closed = false
    const fresh = async (): Promise<Cache<unknown>> => {
      current = await makeCache()
      closed = false
      return current
    }

    afterEach(async () => {
      if (current && !closed) {
        await current.clear()
        await current.close()
      }
      current = undefined
      await options.afterEach?.()
    })

    it('get of a missing key is undefined; set then get returns the entry', async () => {
      const cache = await fresh()
      expect(await cache.get('a')).toBeUndefined()
      expect(await cache.set({ key: 'a', version: 1, value: { n: 1 } })).toBe(true)
      expect(await cache.get('a')).toEqual({ key: 'a', version: 1, value: { n: 1 } })
    })

    it('entries(), where the adapter has it, lists every entry with its newest version, and nothing after clear', async () => {
      const cache = await fresh()
      if (!cache.entries) return expect(name).toMatch(/redis/i) // only Redis (shared, possibly huge) leaves it out
      await cache.setMany([
        { key: 'a', version: 1, value: 'a1' },
        { key: 'b', version: 1, value: 'b1' },
      ])
      await cache.set({ key: 'a', version: 2, value: 'a2' })
      await cache.set({ key: 'b', version: 0, value: 'stale' })
      const listed = (await cache.entries()).sort((x, y) => x.key.localeCompare(y.key))
      expect(listed).toEqual([
        { key: 'a', version: 2, value: 'a2' },
        { key: 'b', version: 1, value: 'b1' },
      ])
      await cache.clear()
      expect(await cache.entries()).toEqual([])
    })

    it('getMany keeps the order of keys, undefined where missing', async () => {
      const cache = await fresh()
      expect(await cache.getMany([])).toEqual([])
      await cache.setMany([
        { key: 'x', version: 1, value: 'X' },
        { key: 'z', version: 1, value: 'Z' },
      ])
      const got = await cache.getMany(['z', 'y', 'x'])
      expect(got.map((e) => e?.value)).toEqual(['Z', undefined, 'X'])
    })

    it('setMany writes every entry and reports one result per entry', async () => {
      const cache = await fresh()
      const entries = [1, 2, 3].map((i) => ({ key: `k${i}`, version: i, value: { i } }))
      expect(await cache.setMany(entries)).toEqual([true, true, true])
      expect(await cache.setMany([])).toEqual([])
      expect(await cache.getMany(['k1', 'k2', 'k3'])).toEqual(entries)
    })

    it('delete removes one key and forgets its version; clear removes all', async () => {
      const cache = await fresh()
      await cache.setMany([
        { key: 'a', version: 5, value: 'a5' },
        { key: 'b', version: 5, value: 'b5' },
      ])
      await cache.delete('a')
      await cache.delete('never-there')
      expect(await cache.get('a')).toBeUndefined()
      expect((await cache.get('b'))?.value).toBe('b5')
      expect(await cache.set({ key: 'a', version: 1, value: 'a1' })).toBe(true)
      await cache.clear()
      expect(await cache.getMany(['a', 'b'])).toEqual([undefined, undefined])
    })

    it('an older version never overwrites a newer one; an equal version overwrites', async () => {
      const cache = await fresh()
      expect(await cache.set({ key: 'r', version: 20, value: 'v20' })).toBe(true)
      expect(await cache.set({ key: 'r', version: 10, value: 'v10' })).toBe(false)
      expect(await cache.get('r')).toEqual({ key: 'r', version: 20, value: 'v20' })
      expect(await cache.set({ key: 'r', version: 20, value: 'v20b' })).toBe(true)
      expect((await cache.get('r'))?.value).toBe('v20b')
      expect(await cache.set({ key: 'r', version: 21, value: 'v21' })).toBe(true)
      expect((await cache.get('r'))?.version).toBe(21)
    })

    it('setMany applies the rule per entry, in order, against stored and earlier entries', async () => {
      const cache = await fresh()
      await cache.set({ key: 's', version: 10, value: 's10' })
      const results = await cache.setMany([
        { key: 's', version: 5, value: 's5' },
        { key: 't', version: 3, value: 't3' },
        { key: 't', version: 1, value: 't1' },
        { key: 't', version: 7, value: 't7' },
        { key: 's', version: 11, value: 's11' },
      ])
      expect(results).toEqual([false, true, false, true, true])
      expect((await cache.getMany(['s', 't'])).map((e) => e?.value)).toEqual(['s11', 't7'])
    })

    it('string versions (ISO timestamps) compare in order', async () => {
      const cache = await fresh()
      await cache.set({ key: 'iso', version: '2026-11-23T09:00:00.000Z', value: 'nine' })
      expect(await cache.set({ key: 'iso', version: '2026-11-23T08:59:59.999Z', value: 'before' })).toBe(false)
      expect(await cache.set({ key: 'iso', version: '2026-11-23T10:00:00.000Z', value: 'ten' })).toBe(true)
      expect((await cache.get('iso'))?.value).toBe('ten')
      // Code point order (UTF-8 byte order), the same in JS and in the Redis script: U+1F600 is after U+FFFF.
      await cache.set({ key: 'cp', version: 'a\uFFFF', value: 1 })
      expect(await cache.set({ key: 'cp', version: 'a😀', value: 2 })).toBe(true)
      expect(await cache.set({ key: 'cp', version: 'a\uFFFF', value: 3 })).toBe(false)
      expect(await cache.set({ key: 'cp', version: 'a', value: 4 })).toBe(false)
    })

    it('rejects invalid versions and mixed version types with CacheVersionError', async () => {
      const cache = await fresh()
      await expect(cache.set({ key: 'n', version: Number.NaN, value: 1 })).rejects.toBeInstanceOf(CacheVersionError)
      await cache.set({ key: 'm', version: 1, value: 1 })
      await expect(cache.set({ key: 'm', version: '2', value: 2 })).rejects.toBeInstanceOf(CacheVersionError)
      expect((await cache.get('m'))?.value).toBe(1)
    })

    it('concurrent sets of one key end with the newest version', async () => {
      const cache = await fresh()
      const versions = shuffled(Array.from({ length: 50 }, (_, i) => i + 1))
      const results = await Promise.all(versions.map((v) => cache.set({ key: 'c', version: v, value: `v${v}` })))
      expect(results.filter(Boolean).length).toBeGreaterThanOrEqual(1)
      expect(await cache.get('c')).toEqual({ key: 'c', version: 50, value: 'v50' })
      const batches = shuffled([1, 2, 3, 4, 5, 6, 7, 8], 3).map((v) =>
        cache.setMany([
          { key: 'd', version: v, value: v },
          { key: 'e', version: 9 - v, value: 9 - v },
        ]),
      )
      await Promise.all(batches)
      expect((await cache.getMany(['d', 'e'])).map((e) => e?.version)).toEqual([8, 8])
    })

    it('counts hits, misses, sets and skipped stale writes', async () => {
      const cache = await fresh()
      expect(cache.stats()).toMatchObject({ hits: 0, misses: 0, sets: 0, skippedStale: 0 })
      await cache.get('a')
      await cache.set({ key: 'a', version: 2, value: null })
      await cache.get('a')
      await cache.set({ key: 'a', version: 1, value: null })
      await cache.getMany(['a', 'b', 'c'])
      expect(cache.stats()).toMatchObject({ hits: 2, misses: 3, sets: 1, skippedStale: 1 })
    })

    it('round-trips JSON values: nested objects, arrays, null, numbers, booleans, unicode', async () => {
      const cache = await fresh()
      const values: unknown[] = [
        { a: { b: { c: [1, 2, { d: null }] } }, e: true, f: false, g: -1.5, h: '' },
        null,
        'héllo wörld — 日本語 🌍🚧 "quotes" \\ back\nslash\ttab',
        [[], {}, [null]],
        0,
        Number.MAX_SAFE_INTEGER,
      ]
      const entries: Array<CacheEntry<unknown>> = values.map((value, i) => ({ key: `json:${i}:ключ🔑`, version: i, value }))
      await cache.setMany(entries)
      expect(await cache.getMany(entries.map((e) => e.key))).toEqual(entries)
    })

    it('handles 10,000 keys in one setMany and one getMany', async () => {
      const cache = await fresh()
      const entries = Array.from({ length: 10_000 }, (_, i) => ({
        key: `row:${i}`,
        version: 1_700_000_000_000 + i,
        value: { id: i, name: `component ${i}`, milestone: i % 7 },
      }))
      const results = await cache.setMany(entries)
      expect(results.every(Boolean)).toBe(true)
      const got = await cache.getMany(entries.map((e) => e.key))
      expect(got).toEqual(entries)
    })

    it('namespaces are isolated: scoped views see only their own keys, versions, getMany, entries and clear', async () => {
      const cache = await fresh()
      expect(cache.namespace).toBe('default')
      const alice = cache.scoped('alice')
      const bob = cache.scoped('bob')
      expect([alice.namespace, bob.namespace, alice.scoped('bob').namespace]).toEqual(['alice', 'bob', 'bob'])
      try {
        await alice.setMany([
          { key: 'row:1', version: 10, value: 'alice 1' },
          { key: 'row:2', version: 10, value: 'alice 2' },
        ])
        await cache.set({ key: 'row:1', version: 1, value: 'default 1' })
        // The same key in another namespace has its own version: alice's newer one does not make bob's write stale.
        expect(await bob.set({ key: 'row:1', version: 5, value: 'bob 1' })).toBe(true)
        expect(await bob.get('row:2')).toBeUndefined()
        expect((await bob.getMany(['row:1', 'row:2'])).map((e) => e?.value)).toEqual(['bob 1', undefined])
        expect((await alice.getMany(['row:1', 'row:2'])).map((e) => e?.value)).toEqual(['alice 1', 'alice 2'])
        expect((await cache.get('row:1'))?.value).toBe('default 1')
        if (cache.entries) {
          const keys = async (c: Cache<unknown>) => (await c.entries!()).map((e) => `${e.key}=${String(e.value)}`).sort()
          expect(await keys(alice)).toEqual(['row:1=alice 1', 'row:2=alice 2'])
          expect(await keys(bob)).toEqual(['row:1=bob 1'])
          expect(await keys(cache)).toEqual(['row:1=default 1'])
        }
        await bob.delete('row:1')
        expect((await alice.get('row:1'))?.value).toBe('alice 1')
        await bob.set({ key: 'row:3', version: 1, value: 'bob 3' })
        // Sign-out: one user's clear() leaves the others, the default namespace's clear() leaves the users'.
        await alice.clear()
        expect(await alice.getMany(['row:1', 'row:2'])).toEqual([undefined, undefined])
        expect((await bob.get('row:3'))?.value).toBe('bob 3')
        expect((await cache.get('row:1'))?.value).toBe('default 1')
        await cache.clear()
        expect((await bob.get('row:3'))?.value).toBe('bob 3')
        if (cache.entries) expect(await alice.entries!()).toEqual([])
      } finally {
        await Promise.all([alice.clear(), bob.clear()])
      }
    })

    it('namespace names are opaque: separators, unicode and look-alikes do not collide', async () => {
      const cache = await fresh()
      const names = ['a:b', 'a', 'a\u0001b', '日本 🌍', '%41', 'A']
      const views = names.map((n) => cache.scoped(n))
      try {
        await Promise.all(views.map((view, i) => view.set({ key: 'b:k', version: 1, value: i })))
        await views[1]!.set({ key: 'b\u0001b:k', version: 1, value: 'tricky' })
        expect((await Promise.all(views.map((view) => view.get('b:k')))).map((e) => e?.value)).toEqual([0, 1, 2, 3, 4, 5])
        expect(await views[0]!.get('k')).toBeUndefined()
        expect(await cache.get('b:k')).toBeUndefined()
      } finally {
        await Promise.all(views.map((view) => view.clear()))
      }
      expect(() => cache.scoped('')).toThrow(TypeError)
      // Keys of the default namespace may not look like namespaced ones.
      await expect(cache.set({ key: '\u0001x', version: 1, value: 1 })).rejects.toThrow(/U\+0001/)
    })

    it('closing a scoped view leaves the cache and other views open; closing the cache closes its views', async () => {
      const cache = await fresh()
      const alice = cache.scoped('alice')
      const bob = cache.scoped('bob')
      await alice.set({ key: 'a', version: 1, value: 1 })
      await bob.set({ key: 'b', version: 1, value: 2 })
      await alice.close()
      await expect(alice.get('a')).rejects.toBeInstanceOf(CacheClosedError)
      expect((await bob.get('b'))?.value).toBe(2)
      expect((await cache.scoped('alice').get('a'))?.value).toBe(1)
      await cache.scoped('alice').clear()
      await bob.clear()
      await cache.close()
      closed = true
      await expect(bob.get('b')).rejects.toBeInstanceOf(CacheClosedError)
    })

    it('rejects calls after close() with CacheClosedError and leaves no timers', async () => {
      const before = timers()
      const cache = await fresh()
      await cache.set({ key: 'a', version: 1, value: 1 })
      void cache.set({ key: 'b', version: 1, value: 2 }) // pending at close: flushed by close()
      await cache.clear()
      await cache.close()
      closed = true
      await expect(cache.get('a')).rejects.toBeInstanceOf(CacheClosedError)
      await expect(cache.set({ key: 'a', version: 2, value: 2 })).rejects.toBeInstanceOf(CacheClosedError)
      if (options.checkTimers ?? true) expect(timers()).toBeLessThanOrEqual(before)
    })
  })
}
