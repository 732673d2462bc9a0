import { createStore, getMany as idbGetMany, promisifyRequest, type UseStore } from 'idb-keyval'
import type { Cache, CacheEntry, CacheVersion } from './Cache'
import { assertVersion, compareVersions } from './compareVersions'
import { corruptionReporter } from './corruptionReporter'
import { CacheClosedError, type CacheCorruptEntryError } from './errors'
import { DEFAULT_NAMESPACE, KeySpace } from './KeySpace'
import { StatsCounter } from './StatsCounter'

/** Options of `indexedDbCache`. */
export interface IndexedDbCacheOptions {
  /** IndexedDB database name: one database per cache, e.g. `'components'`. Required. */
  name: string
  /** Object store inside that database. Default `'entries'`. A database holds this one store only. */
  storeName?: string
  /** The namespace the returned cache reads and writes (see `Cache.scoped`). Default `'default'`. */
  namespace?: string
  /**
   * Receives a `CacheCorruptEntryError` once per stored key (per cache instance) whose record does not have the shape
   * this adapter writes; that key reads as a miss and its next write replaces it. Default: `console.warn`.
   */
  onError?: (error: CacheCorruptEntryError) => void
}

/** What one record looks like in IndexedDB. */
interface StoredRecord {
  v: CacheVersion
  d: unknown
}

/** Whether a stored value has the shape this adapter writes (anything else is read as absent). */
function isRecord(value: unknown): value is StoredRecord {
  if (value === null || typeof value !== 'object' || !('d' in value)) return false
  const version = (value as { v?: unknown }).v
  return typeof version === 'string' || (typeof version === 'number' && Number.isFinite(version))
}

/**
 * Where a namespace lives in the object store: the default namespace under the plain string keys (as before
 * namespaces existed), any other under array keys `[namespace, key]`. IndexedDB orders every string before every
 * array, so the two never mix and one key range selects one namespace.
 */
class IdbSpace extends KeySpace {
  /** The IndexedDB key of `key`. */
  idbKey(key: string): IDBValidKey {
    this.checkKey(key)
    return this.namespace === DEFAULT_NAMESPACE ? key : [this.namespace, key]
  }

  /** Every key of this namespace: all strings ('' up to the first array), or the arrays starting with the namespace. */
  range(): IDBKeyRange {
    return this.namespace === DEFAULT_NAMESPACE
      ? IDBKeyRange.bound('', [], false, true)
      : IDBKeyRange.bound([this.namespace], [this.namespace, []], false, true)
  }

  /** The cache key of an IndexedDB key in this namespace's range. */
  keyOfIdb(key: IDBValidKey): string {
    return Array.isArray(key) ? String(key[1]) : String(key)
  }
}

type Op<V> =
  | { type: 'set'; space: IdbSpace; entry: CacheEntry<V>; resolve: (written: boolean) => void; reject: (error: unknown) => void }
  | { type: 'delete'; space: IdbSpace; key: string; resolve: () => void; reject: (error: unknown) => void }
  | { type: 'clear'; space: IdbSpace; resolve: () => void; reject: (error: unknown) => void }

/** One stored key touched by a batch: its IndexedDB key and the ops on it, in order ('wipe': a clear of its namespace). */
interface KeyOps<V> {
  idbKey: IDBValidKey
  ops: Array<Op<V> | 'wipe'>
}

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
  const adapter = `indexedDbCache "${options.name}"`
  const store: UseStore = createStore(options.name, options.storeName ?? 'entries')
  const stats = new StatsCounter()
  const corrupt = corruptionReporter(adapter, options.onError)
  let pending: Array<Op<V>> = []
  let tail: Promise<void> = Promise.resolve()
  let closed = false

  /** A stored value as a record, or undefined (reported) when it is not one this adapter wrote. */
  const recordOf = (idbKey: IDBValidKey, value: unknown): StoredRecord | undefined => {
    if (value === undefined || isRecord(value)) return value
    corrupt(JSON.stringify(idbKey))
    return undefined
  }

  const writeBatch = async (batch: Array<Op<V>>): Promise<void> => {
    const results = new Map<Op<V>, boolean>()
    const failures = new Map<Op<V>, unknown>()
    try {
      await store('readwrite', (os) => {
        // Requests in one transaction run in the order issued: the namespace clears first, so the reads below see
        // them; each key's ops then replay its own history, a clear issued after an op on the key as a 'wipe'.
        const byKey = new Map<string, KeyOps<V>>()
        for (const op of batch) {
          if (op.type === 'clear') {
            os.delete(op.space.range())
            for (const touched of byKey.values()) {
              const first = touched.ops[0]
              if (first !== undefined && first !== 'wipe' && first.space.namespace === op.space.namespace) touched.ops.push('wipe')
            }
            continue
          }
          const idbKey = op.space.idbKey(op.type === 'set' ? op.entry.key : op.key)
          const id = JSON.stringify(idbKey)
          const touched = byKey.get(id)
          if (touched) touched.ops.push(op)
          else byKey.set(id, { idbKey, ops: [op] })
        }
        for (const { idbKey, ops } of byKey.values()) {
          const request = os.get(idbKey) as IDBRequest<unknown>
          request.onsuccess = () => {
            let current = recordOf(idbKey, request.result)
            let changed = false
            for (const op of ops) {
              if (op === 'wipe' || op.type === 'delete') {
                current = undefined
                changed = true
              } else if (op.type === 'set') {
                const { key, version, value } = op.entry
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
              if (current === undefined) os.delete(idbKey)
              else os.put(current, idbKey)
            } catch (error) {
              // e.g. DataCloneError for a value IndexedDB cannot store: fail this key's writes, keep the batch
              for (const op of ops) if (op !== 'wipe' && op.type === 'set' && results.get(op)) failures.set(op, error)
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

  const view = (space: IdbSpace, owner: boolean): Cache<V> => {
    let viewClosed = false
    const open = (): void => {
      if (closed || viewClosed) {
        throw new CacheClosedError(space.namespace === DEFAULT_NAMESPACE ? adapter : `${adapter} namespace "${space.namespace}"`)
      }
    }

    const enqueueSet = (entry: CacheEntry<V>): Promise<boolean> => {
      assertVersion(entry.version, entry.key)
      space.checkKey(entry.key)
      return new Promise<boolean>((resolve, reject) => {
        enqueue({ type: 'set', space, entry: { key: entry.key, version: entry.version, value: entry.value }, resolve, reject })
      })
    }

    const getMany = async (keys: readonly string[]): Promise<Array<CacheEntry<V> | undefined>> => {
      const idbKeys = keys.map((key) => space.idbKey(key))
      await tail
      const records = await idbGetMany<unknown>(idbKeys, store)
      return keys.map((key, i) => {
        const record = recordOf(idbKeys[i] as IDBValidKey, records[i])
        if (record === undefined) {
          stats.misses++
          return undefined
        }
        stats.hits++
        return { key, version: record.v, value: record.d as V }
      })
    }

    return {
      namespace: space.namespace,
      scoped(namespace) {
        // No open() check: a view of a closed cache is harmless, its calls reject with CacheClosedError.
        return view(new IdbSpace(namespace, adapter), false)
      },
      async get(key) {
        open()
        return (await getMany([key]))[0]
      },
      async entries() {
        open()
        await tail
        const range = space.range()
        const [keys, values] = await store('readonly', (os) =>
          Promise.all([promisifyRequest(os.getAllKeys(range)), promisifyRequest(os.getAll(range))]),
        )
        const out: Array<CacheEntry<V>> = []
        keys.forEach((idbKey, i) => {
          const record = recordOf(idbKey, values[i])
          if (record !== undefined) out.push({ key: space.keyOfIdb(idbKey), version: record.v, value: record.d as V })
        })
        return out
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
        for (const entry of entries) {
          assertVersion(entry.version, entry.key)
          space.checkKey(entry.key)
        }
        return Promise.all(entries.map(enqueueSet))
      },
      async delete(key) {
        open()
        space.checkKey(key)
        return new Promise<void>((resolve, reject) => enqueue({ type: 'delete', space, key, resolve, reject }))
      },
      async clear() {
        open()
        return new Promise<void>((resolve, reject) => enqueue({ type: 'clear', space, resolve, reject }))
      },
      stats() {
        return stats.snapshot()
      },
      async close() {
        if (viewClosed || closed) return
        viewClosed = true
        await tail
        if (!owner) return
        closed = true
        // idb-keyval keeps the connection open; close it so the database can be deleted or upgraded.
        await store('readonly', (os) => os.transaction.db.close()).catch(() => undefined)
      },
    }
  }

  return view(new IdbSpace(options.namespace ?? DEFAULT_NAMESPACE, adapter), true)
}
