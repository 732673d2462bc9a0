import { createStore, entries as idbEntries, getMany as idbGetMany, promisifyRequest, type UseStore } from 'idb-keyval'
import type { Cache, CacheEntry, CacheVersion } from './Cache'
import { assertVersion, compareVersions } from './compareVersions'
import { CacheClosedError } from './errors'
import { StatsCounter } from './StatsCounter'

/** Options of `indexedDbCache`. */
export interface IndexedDbCacheOptions {
  /** IndexedDB database name: one database per cache, e.g. `'components'`. Required. */
  name: string
  /** Object store inside that database. Default `'entries'`. A database holds this one store only. */
  storeName?: string
}

/** What one record looks like in IndexedDB. */
interface StoredRecord {
  v: CacheVersion
  d: unknown
}

type Op<V> =
  | { type: 'set'; entry: CacheEntry<V>; resolve: (written: boolean) => void; reject: (error: unknown) => void }
  | { type: 'delete'; key: string; resolve: () => void; reject: (error: unknown) => void }
  | { type: 'clear'; resolve: () => void; reject: (error: unknown) => void }

/**
 * A browser cache in IndexedDB through idb-keyval. Writes issued in the same tick (and while a previous batch is
 * being written) are coalesced into one readwrite transaction that applies the version rule per key, so the rule
 * holds across tabs too. Reads use one `getMany` transaction and see every write issued before them.
 * Holds no timers; `close()` flushes pending writes and closes the database connection.
 */
export function indexedDbCache<V = unknown>(options: IndexedDbCacheOptions): Cache<V> {
  if (typeof options?.name !== 'string' || options.name === '') {
    throw new TypeError("indexedDbCache: pass a database name, e.g. indexedDbCache({ name: 'components' })")
  }
  if (typeof indexedDB === 'undefined') {
    throw new Error(
      "indexedDbCache: IndexedDB is not available here. In Node use memoryCache() or redisCache(), or import 'fake-indexeddb/auto' in tests",
    )
  }
  const store: UseStore = createStore(options.name, options.storeName ?? 'entries')
  const stats = new StatsCounter()
  let pending: Array<Op<V>> = []
  let tail: Promise<void> = Promise.resolve()
  let closed = false

  const open = (): void => {
    if (closed) throw new CacheClosedError(`indexedDbCache "${options.name}"`)
  }

  const writeBatch = async (batch: Array<Op<V>>): Promise<void> => {
    const results = new Map<Op<V>, boolean>()
    const failures = new Map<Op<V>, unknown>()
    try {
      await store('readwrite', (os) => {
        let start = 0
        batch.forEach((op, i) => {
          if (op.type === 'clear') start = i + 1
        })
        if (start > 0) os.clear()
        for (const op of batch.slice(0, start)) if (op.type === 'set') results.set(op, true)
        const byKey = new Map<string, Array<Op<V>>>()
        for (const op of batch.slice(start)) {
          if (op.type === 'clear') continue
          const key = op.type === 'set' ? op.entry.key : op.key
          const ops = byKey.get(key)
          if (ops) ops.push(op)
          else byKey.set(key, [op])
        }
        for (const [key, ops] of byKey) {
          const request = os.get(key) as IDBRequest<StoredRecord | undefined>
          request.onsuccess = () => {
            let current = request.result
            let changed = false
            for (const op of ops) {
              if (op.type === 'delete') {
                current = undefined
                changed = true
              } else if (op.type === 'set') {
                const { version, value } = op.entry
                let applied: boolean
                try {
                  applied = current === undefined || compareVersions(version, current.v, key) >= 0
                } catch (error) {
                  failures.set(op, error) // a version type mismatch fails this write only, not the batch
                  continue
                }
                results.set(op, applied)
                if (applied) {
                  current = { v: version, d: value }
                  changed = true
                }
              }
            }
            if (!changed) return
            try {
              if (current === undefined) os.delete(key)
              else os.put(current, key)
            } catch (error) {
              // e.g. DataCloneError for a value IndexedDB cannot store: fail this key's writes, keep the batch
              for (const op of ops) if (op.type === 'set' && results.get(op)) failures.set(op, error)
            }
          }
        }
        return promisifyRequest(os.transaction)
      })
    } catch (error) {
      for (const op of batch) op.reject(error)
      return
    }
    for (const op of batch) {
      const failure = failures.get(op)
      if (failure !== undefined) op.reject(failure)
      else if (op.type === 'set') {
        const applied = results.get(op) ?? false
        stats.written(applied)
        op.resolve(applied)
      } else op.resolve()
    }
  }

  function enqueue(op: Op<V>): void {
    pending.push(op)
    if (pending.length === 1) {
      tail = tail.then(() => {
        const batch = pending
        pending = []
        return writeBatch(batch)
      })
    }
  }

  const enqueueSet = (entry: CacheEntry<V>): Promise<boolean> => {
    assertVersion(entry.version, entry.key)
    return new Promise<boolean>((resolve, reject) => {
      enqueue({ type: 'set', entry: { key: entry.key, version: entry.version, value: entry.value }, resolve, reject })
    })
  }

  const getMany = async (keys: readonly string[]): Promise<Array<CacheEntry<V> | undefined>> => {
    await tail
    const records = (await idbGetMany<StoredRecord | undefined>([...keys], store)) as Array<StoredRecord | undefined>
    return keys.map((key, i) => {
      const record = records[i]
      if (record === undefined) {
        stats.misses++
        return undefined
      }
      stats.hits++
      return { key, version: record.v, value: record.d as V }
    })
  }

  return {
    async get(key) {
      open()
      return (await getMany([key]))[0]
    },
    async entries() {
      open()
      await tail
      const records = await idbEntries<IDBValidKey, StoredRecord>(store)
      return records.map(([key, record]) => ({ key: String(key), version: record.v, value: record.d as V }))
    },
    async getMany(keys) {
      open()
      return keys.length === 0 ? [] : getMany(keys)
    },
    async set(entry) {
      open()
      return enqueueSet(entry)
    },
    async setMany(entries) {
      open()
      for (const entry of entries) assertVersion(entry.version, entry.key)
      return Promise.all(entries.map(enqueueSet))
    },
    async delete(key) {
      open()
      return new Promise<void>((resolve, reject) => enqueue({ type: 'delete', key, resolve, reject }))
    },
    async clear() {
      open()
      return new Promise<void>((resolve, reject) => enqueue({ type: 'clear', resolve, reject }))
    },
    stats() {
      return stats.snapshot()
    },
    async close() {
      if (closed) return
      closed = true
      await tail
      // idb-keyval keeps the connection open; close it so the database can be deleted or upgraded.
      await store('readonly', (os) => os.transaction.db.close()).catch(() => undefined)
    },
  }
}
