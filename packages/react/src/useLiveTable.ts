import { useCallback, useMemo, useRef } from 'react'
import type { SupasyncError } from '@supasync/core'
import { acquireLiveTable, INITIAL_FRESHNESS, liveTableKey, peekLiveTable, sameFreshness, type Freshness, type LiveTable, type LiveTableLease, type LiveTableOptions } from '@supasync/polling'
import { useSupasync } from './context.js'
import { Holder } from './Holder.js'
import { useLatest } from './useLatest.js'
import { EMPTY_ROWS, identity } from './snapshots.js'
import { useSyncExternalStoreWithSelector } from './withSelector.js'

/** How {@link useLiveTable} hands out the rows. */
export interface UseLiveTableConfig<R, T> {
  /**
   * Picks what the component uses from the rows (`ReadonlyMap<primary key, row>`, the same Map until a change): the
   * component re-renders only when the picked value changes by `isEqual`. A component that picks one row is not
   * re-rendered when another row changes. Default: the whole Map.
   */
  select?: (rows: ReadonlyMap<string, R>) => T
  /** Compares two picked values. Default `Object.is` (rows keep their identity until they change). */
  isEqual?: (a: T, b: T) => boolean
  /**
   * Re-render every second for the ticking `freshness.stalenessMs` (a "3 s ago" label). Default false: `freshness`
   * re-renders on a change of mode, `lastSyncedAt` or error only, and its `stalenessMs` is as of that change.
   */
  staleness?: boolean
}

/** What {@link useLiveTable} returns. */
export interface UseLiveTableResult<R extends object, T> {
  /** The rows, or what `select` picked from them. Empty (or `select` of an empty Map) on the server and before the first read. */
  rows: T
  /** The row with this primary key, read now (not a subscription: render from `rows`/`select`). */
  get: (id: string | number | readonly (string | number | boolean)[]) => R | undefined
  /**
   * `{ mode, lastSyncedAt, stalenessMs, error }`: how fresh the rows are (see `Freshness` in polling). Tracked: a
   * component re-renders on freshness changes only once it has read `freshness`, `error` or `loading` in a render.
   */
  freshness: Freshness
  /** The last failure of a read or of the subscription (also in `freshness.error`), with the fix in its message. */
  error: SupasyncError<string> | undefined
  /** True until the first read completed (or a synced time was restored from the cache); false when disabled (null options). */
  loading: boolean
  /** Reads what changed now; resolves once applied. */
  refresh: () => Promise<void>
  /** The shared live table while this component holds it (after its first effect); undefined on the server. */
  table: LiveTable<R> | undefined
}

const noSubscription = () => () => {}

/**
 * A live table in a component: rows kept within `maxStalenessMs` of every commit, whatever the WebSocket does (see
 * `createLiveTable` in `@supasync/polling`). Components asking for equal options share one live table, one
 * subscription and one poll (`acquireLiveTable`); an inline options object equal to the last one keeps it, a changed
 * one switches tables (the old one is destroyed after the grace period unless someone still holds it), `null`
 * disables the hook. `onChange` / `onError` in the options are held through a latest-ref.
 *
 * ```tsx
 * const { rows, freshness } = useLiveTable<Component>({ table: 'components', filter: { project_id: 42 } })
 * const { rows: row } = useLiveTable<Component, Component | undefined>(options, { select: (rows) => rows.get('7') })
 * ```
 */
export function useLiveTable<R extends object = Record<string, unknown>, T = ReadonlyMap<string, R>>(
  options: LiveTableOptions<R> | null,
  config: UseLiveTableConfig<R, T> = {},
): UseLiveTableResult<R, T> {
  const { sync } = useSupasync()
  // Validates at render (clear INVALID_OPTIONS errors reach the error boundary) and names the table by value.
  const key = options === null ? null : liveTableKey(sync, options as LiveTableOptions<never>)
  const latest = useLatest(options)
  const holder = useMemo(() => {
    if (key === null || options === null) return undefined
    const onError = options.onError
    return new Holder<LiveTableLease<R>>(
      () =>
        acquireLiveTable<R>(sync, {
          ...options,
          onChange: options.onChange && ((change) => latest.current?.onChange?.(change)),
          onError: onError && ((error) => (latest.current?.onError ?? onError)(error)),
        }),
      (lease) => lease.release(),
    )
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the key stands for the options
  }, [sync, key])
  // Before this component holds it, a table another component holds (or one in its grace period) shows at once.
  const table = (): LiveTable<R> | undefined => holder?.current?.table ?? (key === null ? undefined : peekLiveTable<R>(sync, key))
  const subscribeRows = useMemo(() => holder?.subscriber((lease) => lease.table.rows) ?? noSubscription, [holder])
  // Freshness re-renders only a component that reads it (freshness, error or loading): lastSyncedAt moves with every
  // heartbeat answer and verification poll, which must not re-render a component that only selected a row.
  const readsFreshness = useRef(false)
  const subscribeFreshness = useMemo(() => {
    if (!holder) return noSubscription
    const subscribe = holder.subscriber((lease) => lease.table.freshness)
    return (listener: () => void) => subscribe(() => readsFreshness.current && listener())
  }, [holder])
  const rows = useSyncExternalStoreWithSelector(
    subscribeRows,
    () => table()?.rows.get() ?? (EMPTY_ROWS as ReadonlyMap<string, R>),
    () => EMPTY_ROWS as ReadonlyMap<string, R>,
    (config.select ?? identity) as (rows: ReadonlyMap<string, R>) => T,
    config.isEqual,
  )
  const freshness = useSyncExternalStoreWithSelector(
    subscribeFreshness,
    () => table()?.freshness.get() ?? INITIAL_FRESHNESS,
    () => INITIAL_FRESHNESS,
    identity,
    config.staleness ? Object.is : sameFreshness,
  )
  const get = useCallback((id: string | number | readonly (string | number | boolean)[]) => table()?.get(id), [holder])
  const refresh = useCallback(() => {
    const current = table()
    if (current) return current.refresh()
    return Promise.reject(new Error(options === null ? 'useLiveTable(null).refresh(): the hook is disabled; give it options first.' : 'useLiveTable().refresh(): the live table opens in an effect; call refresh() from an event handler or an effect, not during the first render.'))
    // eslint-disable-next-line react-hooks/exhaustive-deps -- holder stands for the options
  }, [holder])
  return {
    rows,
    get,
    get freshness() {
      readsFreshness.current = true
      return freshness
    },
    get error() {
      readsFreshness.current = true
      return freshness.error
    },
    get loading() {
      readsFreshness.current = true
      return holder !== undefined && freshness.lastSyncedAt === undefined
    },
    refresh,
    table: holder?.current?.table,
  }
}
