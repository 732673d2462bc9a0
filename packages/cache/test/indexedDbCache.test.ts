import 'fake-indexeddb/auto'
import { randomUUID } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import { createStore, set as idbSet } from 'idb-keyval'
import { indexedDbCache, type CacheCorruptEntryError } from '../src/index'
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

  it('reads a record of the wrong shape as a miss (get, getMany, entries), reports it once and overwrites it on the next write', async () => {
    const name = `corrupt-${randomUUID()}`
    const reported: CacheCorruptEntryError[] = []
    const cache = indexedDbCache<string>({ name, onError: (error) => reported.push(error) })
    await cache.setMany(['a', 'b', 'c'].map((key) => ({ key, version: 2, value: key.toUpperCase() })))
    const raw = createStore(name, 'entries')
    await idbSet('b', 'a bare string', raw)
    await idbSet('c', { v: { not: 'a version' }, d: 'C' }, raw)
    expect((await cache.getMany(['a', 'b', 'c'])).map((e) => e?.value)).toEqual(['A', undefined, undefined])
    expect(await cache.get('c')).toBeUndefined()
    expect((await cache.entries!()).map((e) => e.key)).toEqual(['a'])
    expect(reported.map((e) => e.storageKey).sort()).toEqual(['"b"', '"c"'])
    expect(await cache.setMany([
      { key: 'b', version: 1, value: 'B1' },
      { key: 'c', version: 1, value: 'C1' },
    ])).toEqual([true, true])
    expect((await cache.getMany(['b', 'c'])).map((e) => e?.value)).toEqual(['B1', 'C1'])
    await cache.close()
  })

  it('reads records written before namespaces (plain string keys) as the default namespace only', async () => {
    const name = `legacy-${randomUUID()}`
    await idbSet('old', { v: 7, d: { old: true } }, createStore(name, 'entries'))
    const cache = indexedDbCache({ name })
    expect(await cache.get('old')).toEqual({ key: 'old', version: 7, value: { old: true } })
    expect(await cache.scoped('alice').get('old')).toBeUndefined()
    expect(await cache.scoped('alice').entries!()).toEqual([])
    await cache.close()
  })

  it('keeps the order of a namespace clear among writes of other namespaces in one tick', async () => {
    const cache = indexedDbCache<string>({ name: `nsorder-${randomUUID()}` })
    const alice = cache.scoped('alice')
    const bob = cache.scoped('bob')
    await alice.set({ key: 'x', version: 9, value: 'kept?' })
    void alice.set({ key: 'a', version: 1, value: 'before clear' })
    void bob.set({ key: 'a', version: 1, value: 'bob' })
    void alice.clear()
    const after = alice.set({ key: 'b', version: 1, value: 'after clear' })
    void cache.set({ key: 'a', version: 1, value: 'default' })
    expect(await after).toBe(true)
    expect((await alice.getMany(['a', 'b', 'x'])).map((e) => e?.value)).toEqual([undefined, 'after clear', undefined])
    expect((await bob.get('a'))?.value).toBe('bob')
    expect((await cache.get('a'))?.value).toBe('default')
    await cache.close()
  })

  it('explains a missing name', () => {
    expect(() => indexedDbCache({ name: '' })).toThrow(/pass a database name/)
  })
})
