import { describe, expect, it } from 'vitest'
import { memoryCache } from '../src/index'
import { runCacheContract } from './contract'

runCacheContract('memoryCache', () => memoryCache({ maxEntries: 20_000 }))

describe('memoryCache', () => {
  it('evicts the least recently used entry beyond maxEntries and counts evictions', async () => {
    const cache = memoryCache<string>({ maxEntries: 3 })
    await cache.setMany(['a', 'b', 'c'].map((key) => ({ key, version: 1, value: key })))
    await cache.get('a') // a is now the most recent: b is the oldest
    await cache.set({ key: 'd', version: 1, value: 'd' })
    expect(cache.getSync('b')).toBeUndefined()
    expect((await cache.getMany(['a', 'c', 'd'])).map((e) => e?.value)).toEqual(['a', 'c', 'd'])
    expect(cache.stats()).toMatchObject({ evictions: 1, entries: 3 })
    expect(cache.size).toBe(3)
    await cache.close()
  })

  it('rejects a maxEntries below 1 with a fix', () => {
    expect(() => memoryCache({ maxEntries: 0 })).toThrow(/maxEntries must be ≥ 1/)
  })

  it('looks one record up among 100,000 in well under 1 ms at p99', async () => {
    const cache = memoryCache<{ id: number }>()
    cache.setMany(Array.from({ length: 100_000 }, (_, i) => ({ key: `c${i}`, version: i, value: { id: i } })))
    const samples: number[] = []
    for (let i = 0; i < 10_000; i++) {
      const key = `c${(i * 7919) % 100_000}`
      const start = performance.now()
      await cache.get(key)
      samples.push(performance.now() - start)
    }
    samples.sort((a, b) => a - b)
    const p99 = samples[Math.floor(samples.length * 0.99)] ?? Number.POSITIVE_INFINITY
    expect(p99).toBeLessThan(1)
    expect(cache.stats()).toMatchObject({ hits: 10_000, misses: 0, entries: 100_000 })
    await cache.close()
  })
})
