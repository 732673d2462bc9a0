import { shallowRef, toRaw, toValue, watch, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import type { SupasyncError } from '@supasync/core'
import { acquireLiveTable, INITIAL_FRESHNESS, liveTableKey, preloadLiveTable, sameFreshness, type Freshness, type LiveTable, type LiveTableOptions } from '@supasync/polling'
import { bindStore, notHeld, useClientScope, watchKeyed } from './keyedLease.js'
import type { SupasyncInstance } from './useSupasync.js'

/** How {@link useLiveTable} hands out the rows. */
export interface UseLiveTableSettings<R, T> {
  /**
   * Picks what the component uses from the rows (`ReadonlyMap<primary key, row>`, the same Map until a change):
   * `rows` changes — and what renders it updates — only when the picked value changes by `isEqual`, so a component
   * that picks one row is not updated when another row changes. It runs on every change of the table and again
   * when reactive state it reads changes (a prop naming the row): keep it cheap (`rows.get(id)` is O(1)).
   * Default: the whole Map.
   */
  select?: (rows: ReadonlyMap<string, R>) => T
  /** Compares two picked values; equal keeps the old one. Default `Object.is` (rows keep their identity until they change). */
  isEqual?: (a: T, b: T) => boolean
  /**
   * Update `freshness` every second for the ticking `stalenessMs` (a "3 s ago" label). Default false: `freshness`
   * changes with the mode, `lastSyncedAt` or error only, and its `stalenessMs` is as of that change.
   */
  staleness?: boolean
}

/** What {@link useLiveTable} returns. All refs are read-only. */
export interface UseLiveTableReturn<R extends object, T> {
  /** The rows, or what `select` picked from them. Empty (`select` of an empty Map) on the server, while hydrating and before the first read. */
  rows: Readonly<ShallowRef<T>>
  /** `{ mode, lastSyncedAt, stalenessMs, error }` (see `Freshness` in polling). */
  freshness: Readonly<ShallowRef<Freshness>>
  /**
   * The last failure of a read or of the subscription (as in `freshness.error`, cleared by the next successful
   * read), or why the options are invalid; its message says how to fix it.
   */
  error: Readonly<ShallowRef<SupasyncError<string> | undefined>>
  /** True until the first read completed (or a synced time was restored from the cache); false when disabled. */
  loading: Readonly<ShallowRef<boolean>>
  /** The shared live table while this scope holds it; undefined on the server, while hydrating and when disabled. */
  table: Readonly<ShallowRef<LiveTable<R> | undefined>>
  /** The row with this primary key (composite keys: the values in primaryKey order). Reactive: a render that calls it updates with every change of the table. */
  get: (id: string | number | readonly (string | number | boolean)[]) => R | undefined
  /** Reads what changed now; resolves once applied. Rejects while no table is held. */
  refresh: () => Promise<void>
  /**
   * Resolves with the (selected) rows once the table's initial load settled; rejects with the load's error
   * (`REJECTED`, `UNAUTHORIZED`…; an unreachable PostgREST keeps it pending while the load retries). For
   * `await suspense()` in an async setup under `<Suspense>`. On the server it resolves at once with the initial
   * value and opens nothing (`onServerPrefetch(suspense)` is safe); the client loads after hydration.
   */
  suspense: () => Promise<T>
}

const EMPTY_ROWS: ReadonlyMap<string, never> = new Map<string, never>()

/** Freshness before a table is held: polling's `INITIAL_FRESHNESS` (server and first client render agree). */
export { INITIAL_FRESHNESS }

/**
 * A live table while the calling scope lives: rows kept within `maxStalenessMs` of every commit, whatever the
 * WebSocket does (see `createLiveTable` in `@supasync/polling`). Scopes asking for equal options share one live
 * table, one subscription and one poll (`acquireLiveTable`), released after the grace period, so `<KeepAlive>` and a
 * remount show the rows at once with no new read. `options` may be a ref or a getter over props, watched by its key
 * (`liveTableKey`): an equal object keeps the table, a changed one switches tables. `null` disables it. `onChange`
 * and `onError` in the options are called through a latest reference.
 *
 * ```ts
 * const { rows, freshness } = useLiveTable<Component>(() => ({ table: 'components', filter: { project_id: props.projectId } }))
 * const { rows: row } = useLiveTable<Component, Component | undefined>(options, { select: (rows) => rows.get(String(props.id)) })
 * ```
 *
 * @param options Options of the live table (`LiveTableOptions`), or null.
 * @param settings `select`, `isEqual`, `staleness`. Default: the whole Map, `Object.is`, no ticking.
 * @param instance The supasync instance to use instead of the plugin's. Default: the plugin's.
 */
export function useLiveTable<R extends object = Record<string, unknown>, T = ReadonlyMap<string, R>>(
  options: MaybeRefOrGetter<LiveTableOptions<R> | null | undefined>,
  settings: UseLiveTableSettings<R, T> = {},
  instance?: SupasyncInstance,
): UseLiveTableReturn<R, T> {
  const context = useClientScope('useLiveTable', instance)
  const { select, isEqual = Object.is, staleness = false } = settings
  const all = shallowRef<ReadonlyMap<string, R>>(EMPTY_ROWS)
  const freshness = shallowRef<Freshness>(INITIAL_FRESHNESS)
  const error = shallowRef<SupasyncError<string> | undefined>()
  const loading = shallowRef(toValue(options) != null)
  const table = shallowRef<LiveTable<R> | undefined>()
  let invalid: SupasyncError<string> | undefined

  const latest = watchKeyed(
    context,
    () => toValue(options),
    (value) => {
      invalid = undefined
      try {
        return liveTableKey(context.sync, value as LiveTableOptions<never>)
      } catch (cause) {
        // Not thrown from the watcher: the options may be briefly invalid while a prop changes. Shown in `error`.
        // liveTableKey throws PollingErrors (INVALID_OPTIONS, INVALID_FILTER) only.
        invalid = cause as SupasyncError<string>
        return `!${invalid.message}`
      }
    },
    (value) => {
      if (value === null || invalid) {
        table.value = undefined
        all.value = EMPTY_ROWS
        freshness.value = INITIAL_FRESHNESS
        error.value = invalid
        loading.value = false
        return
      }
      const lease = acquireLiveTable<R>(context.sync, {
        ...value,
        // Through the latest options object, so a new inline handler needs no new table.
        onChange: value.onChange && ((change) => (latest()?.onChange ?? value.onChange)!(change)),
        onError: value.onError && ((failure) => (latest()?.onError ?? value.onError)!(failure)),
      })
      const held = (table.value = lease.table)
      let shown: Freshness | undefined
      const offs = [
        bindStore(held.rows, (rows) => (all.value = rows)),
        bindStore(held.freshness, (next) => {
          error.value = next.error
          loading.value = next.lastSyncedAt === undefined
          if (staleness || !shown || !sameFreshness(shown, next)) freshness.value = shown = next
        }),
      ]
      return () => {
        for (const off of offs) off()
        lease.release()
      }
    },
  )

  let rows = all as unknown as ShallowRef<T>
  if (select) {
    const picked = (rows = shallowRef() as ShallowRef<T>)
    let first = true
    // Synchronous, so `rows` never lags the table; reactive, so a select that reads a prop re-picks when it changes.
    watch(
      () => select(all.value),
      (next) => {
        if (first || !isEqual(picked.value, next)) picked.value = next
        first = false
      },
      { flush: 'sync', immediate: true },
    )
  }

  const pick = (map: ReadonlyMap<string, R>) => (select ? select(map) : (map as unknown as T))
  return {
    rows,
    freshness,
    error,
    loading,
    table,
    get: (id) => {
      void all.value // tracked: a render that calls get() updates with the table
      return table.value?.get(id)
    },
    refresh: () => table.value?.refresh() ?? Promise.reject(notHeld('useLiveTable', 'refresh')),
    // async: invalid options reject rather than throw.
    suspense: async () => {
      const value = latest() ?? toValue(options)
      if (invalid) throw invalid
      if (context.server || value == null) return rows.value
      // Held until the load settles (and a while after), whether or not this scope still holds it by then.
      const held = preloadLiveTable<R>(context.sync, { ...toRaw(value), onChange: undefined, onError: undefined })
      await held.ready
      return pick(held.rows.get())
    },
  }
}
