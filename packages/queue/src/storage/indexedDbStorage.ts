import { createStore, delMany, entries, set, type UseStore } from 'idb-keyval'
import { checkJsonSafe } from '@supasync/core'
import type { QueueStorage } from './QueueStorage.js'
import { unreadableRecord } from './unreadableRecord.js'

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
        records.set(key[1], typeof value === 'string' ? value : foreignValue(value))
      }
      return records
    },
    write: (scope, key, text) => set([scope, key], text, db()),
    remove: (scope, keys) => delMany(keys.map((key) => [scope, key]), db()),
  }
}

/**
 * The queue writes strings only; any other value under one of its keys was written by something else (or an older
 * bug). It is handed over as text the queue cannot decode, so the queue quarantines it and loads the rest: its JSON
 * when JSON can show it (for inspection in `failed[].raw`), else an unreadable-record stand-in naming the value
 * JSON cannot carry (a BigInt, a cycle). Never throws: one odd record must not hide the whole outbox.
 */
function foreignValue(value: unknown): string {
  const described = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`
  const problem = checkJsonSafe(value, 'value')
  if (!problem) {
    try {
      const text = JSON.stringify(value)
      if (text !== undefined) return text
    } catch {
      // a throwing getter or toJSON: reported below like any other unreadable value
    }
  }
  return unreadableRecord(
    `IndexedDB holds ${described} under this key instead of the queue's text${problem ? `; JSON cannot show it either: ${problem.message.replace(/\.$/, '')}` : ''}`,
  )
}
