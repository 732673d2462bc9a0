import 'fake-indexeddb/auto'
import { randomUUID } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import { indexedDbCache } from '../src/index'
import { runCacheContract } from './contract'

runCacheContract('indexedDbCache (fake-indexeddb)', () => indexedDbCache({ name: `cache-${randomUUID()}` }))

describe('indexedDbCache', () => {
  it('coalesces writes issued in one tick into one readwrite transaction', async () => {
    const cache = indexedDbCache<number>({ name: `batch-${randomUUID()}` })
    await cache.get('warm-up') // opens the database
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction')
    try {
      const writes = Array.from({ length: 100 }, (_, i) => cache.set({ key: `k${i}`, version: i, value: i }))
      writes.push(cache.setMany([{ key: 'k0', version: 1000, value: -1 }]).then(([r]) => r ?? false))
      expect((await Promise.all(writes)).every(Boolean)).toBe(true)
      const readwrite = spy.mock.calls.filter(([, mode]) => mode === 'readwrite')
      expect(readwrite).toHaveLength(1)
    } finally {
      spy.mockRestore()
    }
    expect((await cache.get('k0'))?.value).toBe(-1)
    await cache.close()
  })

  it('keeps the order of set, delete and set issued in one tick', async () => {
    const cache = indexedDbCache<string>({ name: `order-${randomUUID()}` })
    void cache.set({ key: 'a', version: 1, value: 'first' })
    void cache.delete('a')
    const last = cache.set({ key: 'a', version: 0, value: 'after delete' })
    void cache.set({ key: 'b', version: 1, value: 'b' })
    void cache.clear()
    void cache.set({ key: 'c', version: 1, value: 'c' })
    expect(await last).toBe(true)
    expect((await cache.getMany(['a', 'b', 'c'])).map((e) => e?.value)).toEqual([undefined, undefined, 'c'])
    await cache.close()
  })

  it('persists across instances of the same name (a reload)', async () => {
    const name = `persist-${randomUUID()}`
    const first = indexedDbCache<{ id: number }>({ name })
    await first.set({ key: 'p', version: 3, value: { id: 1 } })
    await first.close()
    const second = indexedDbCache<{ id: number }>({ name })
    expect(await second.get('p')).toEqual({ key: 'p', version: 3, value: { id: 1 } })
    expect(await second.set({ key: 'p', version: 2, value: { id: 2 } })).toBe(false)
    await second.close()
  })

  it('explains a missing name', () => {
    expect(() => indexedDbCache({ name: '' })).toThrow(/pass a database name/)
  })
})
