import { createStore, delMany, entries, set, type UseStore } from 'idb-keyval'
import type { QueueStorage } from './QueueStorage.js'

export interface IndexedDbStorageOptions {
  /** IndexedDB database name. Default `'supasync-queue'`. One object store (`entries`) in it holds every namespace. */
  name?: string
}

/**
 * Browser storage on IndexedDB (idb-keyval). Keys are `[scope, key]` arrays. Each write is its own transaction, so
 * it is atomic; a quota error rejects the write (and so `enqueue`).
 */
export function indexedDbStorage(options: IndexedDbStorageOptions = {}): QueueStorage {
  const name = options.name ?? 'supasync-queue'
  let store: UseStore | undefined
  // Opened lazily: constructing the storage must not touch indexedDB (SSR, Node without a polyfill).
  const db = () => (store ??= createStore(name, 'entries'))
  return {
    description: `indexeddb:${name}`,
    location: `indexeddb:${name}`,
    async readAll(scope) {
      const records = new Map<string, string>()
      for (const [key, value] of await entries<IDBValidKey, unknown>(db())) {
        if (!Array.isArray(key) || key[0] !== scope || typeof key[1] !== 'string') continue
        // A value that is not a string is kept as text so the queue quarantines it instead of dropping it.
        records.set(key[1], typeof value === 'string' ? value : String(JSON.stringify(value)))
      }
      return records
    },
    write: (scope, key, text) => set([scope, key], text, db()),
    remove: (scope, keys) => delMany(keys.map((key) => [scope, key]), db()),
  }
}
