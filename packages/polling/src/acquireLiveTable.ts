import { stableKey, type SharedLease, type Supasync, type SupasyncError } from '@supasync/core'
import { createLiveTable } from './createLiveTable.js'
import { countLiveTableHolders, liveTableHoldersChanged } from './inspectLiveTable.js'
import type { LiveTable } from './LiveTable.js'
import { resolveLiveOptions, type LiveTableOptions } from './options.js'
import type { LiveChange } from './RowView.js'

/** A holder's claim on a shared live table, from {@link acquireLiveTable}. */
export interface LiveTableLease<R extends object> {
  /** The shared table: the same instance for every holder of equal options on this supasync instance. */
  readonly table: LiveTable<R>
  readonly released: boolean
  /**
   * Gives the table up (idempotent) and stops this holder's `onChange` / `onError`. The last release destroys the
   * table after the instance's `graceMs` unless it is acquired again first; `afterMs` holds this claim that much longer.
   */
  release(afterMs?: number): void
}

interface Handlers {
  onChange?: ((change: LiveChange<never>) => void) | undefined
  onError?: ((error: SupasyncError<string>) => void) | undefined
}

interface Shared {
  table: LiveTable<object>
  holders: Set<Handlers>
}

const KIND = 'supasync/polling:live-table'

/**
 * The identity of live-table options by value: equal for options that would make the same table (defaults applied,
 * key order ignored, `onChange` / `onError` left out), different for anything else. Objects that are not plain data
 * (the supabase client, the cache) count by identity. Throws the same clear `INVALID_OPTIONS` errors as createLiveTable.
 */
export function liveTableKey(sync: Supasync, options: LiveTableOptions<never>): string {
  const { onChange: _change, onError: _error, ...resolved } = resolveLiveOptions(options as LiveTableOptions<object>, sync.client)
  return stableKey(resolved)
}

/**
 * A live table shared by every holder of equal options on one supasync instance (the bindings' `useLiveTable` calls
 * this): the first holder creates it, the last `release()` destroys it after the instance's grace period, so React
 * StrictMode, a route change away and back, or ten components showing one table cost one table, one subscription
 * and one poll. Each holder's `onChange` and `onError` receive the table's events while it holds it; with no holder's
 * `onError`, errors go to console.warn.
 *
 * ```ts
 * const lease = acquireLiveTable(sync, { table: 'components', filter: { project_id: 42 } })
 * lease.table.rows.subscribe(render)
 * lease.release()
 * ```
 */
export function acquireLiveTable<R extends object = Record<string, unknown>>(sync: Supasync, options: LiveTableOptions<R>): LiveTableLease<R> {
  const key = liveTableKey(sync, options as LiveTableOptions<never>)
  const lease: SharedLease<Shared> = sync.share<Shared>(KIND, key, () => {
    const holders = new Set<Handlers>()
    const table = createLiveTable<object>(sync, {
      ...(options as LiveTableOptions<object>),
      onChange: (change) => {
        for (const holder of [...holders]) holder.onChange?.(change as LiveChange<never>)
      },
      onError: (error) => {
        const listening = [...holders].filter((holder) => holder.onError)
        if (listening.length === 0) console.warn(`[supasync] ${error.message}`)
        for (const holder of listening) holder.onError!(error)
      },
    })
    countLiveTableHolders(table, () => holders.size)
    return { table, holders }
  }, (shared) => shared.table.destroy())
  const handlers: Handlers = { onChange: options.onChange as Handlers['onChange'], onError: options.onError }
  const { holders, table } = lease.value
  holders.add(handlers)
  liveTableHoldersChanged(table)
  return {
    table: table as unknown as LiveTable<R>,
    get released() {
      return lease.released
    },
    release(afterMs?: number) {
      if (holders.delete(handlers)) liveTableHoldersChanged(table)
      lease.release(afterMs)
    },
  }
}

/**
 * The shared table of these options (or of this {@link liveTableKey}) if one is held or in its grace period, without
 * acquiring it: a binding shows its rows at once on a remount instead of an empty first render.
 */
export function peekLiveTable<R extends object = Record<string, unknown>>(sync: Supasync, options: LiveTableOptions<R> | string): LiveTable<R> | undefined {
  const key = typeof options === 'string' ? options : liveTableKey(sync, options as LiveTableOptions<never>)
  return sync.peekShared<Shared>(KIND, key)?.table as unknown as LiveTable<R> | undefined
}

/**
 * Acquires the shared table and holds it until its initial load settles and `holdMs` more (default 10 000 ms), so a
 * render that suspends on `table.ready` finds the same table when it renders again (Suspense hooks, Vue's
 * `suspense()`), and an abandoned render frees it. Returns the table.
 */
export function preloadLiveTable<R extends object = Record<string, unknown>>(sync: Supasync, options: LiveTableOptions<R>, holdMs = 10_000): LiveTable<R> {
  const lease = acquireLiveTable(sync, options)
  const release = () => lease.release(holdMs)
  lease.table.ready.then(release, release)
  return lease.table
}
