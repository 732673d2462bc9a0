import type { QueueStorage } from './QueueStorage.js'

/** Entries in this process's memory: gone when it exits. For tests, servers that need no durability, and `persist: 'session'`. */
export function memoryStorage(): QueueStorage {
  const scopes = new Map<string, Map<string, string>>()
  const scope = (name: string) => {
    let records = scopes.get(name)
    if (!records) scopes.set(name, (records = new Map()))
    return records
  }
  return {
    description: 'memory',
    readAll: async (name) => new Map(scope(name)),
    async write(name, key, text) {
      scope(name).set(key, text)
    },
    async remove(name, keys) {
      const records = scope(name)
      for (const key of keys) records.delete(key)
    },
  }
}
