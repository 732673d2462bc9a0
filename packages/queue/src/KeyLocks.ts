import { ALL_KEY } from './operations.js'

/**
 * The record keys held by earlier, unfinished writes during one scan of the queue. A key `schema.table#*` locks the
 * whole table; `*` locks everything. Checking and adding are O(keys of the entry).
 */
export class KeyLocks {
  private all = false
  private readonly keys = new Set<string>()
  /** table prefix → number of keys held on it (so a table-wide lock sees record locks). */
  private readonly tables = new Map<string, number>()
  private readonly wholeTables = new Set<string>()

  get isEmpty(): boolean {
    return !this.all && this.keys.size === 0 && this.wholeTables.size === 0
  }

  conflicts(keys: readonly string[]): boolean {
    if (this.all) return true
    for (const key of keys) {
      if (key === ALL_KEY) {
        if (!this.isEmpty) return true
        continue
      }
      const table = tableOf(key)
      if (this.wholeTables.has(table)) return true
      if (key.endsWith('#*')) {
        if ((this.tables.get(table) ?? 0) > 0) return true
      } else if (this.keys.has(key)) return true
    }
    return false
  }

  add(keys: readonly string[]): void {
    for (const key of keys) {
      if (key === ALL_KEY) this.all = true
      else if (key.endsWith('#*')) this.wholeTables.add(tableOf(key))
      else if (!this.keys.has(key)) {
        this.keys.add(key)
        const table = tableOf(key)
        this.tables.set(table, (this.tables.get(table) ?? 0) + 1)
      }
    }
  }
}

/** Keys without a `#` (user-given) are their own table. */
function tableOf(key: string): string {
  const hash = key.indexOf('#')
  return hash < 0 ? key : key.slice(0, hash)
}
