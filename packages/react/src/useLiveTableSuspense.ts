import { liveTableKey, peekLiveTable, preloadLiveTable, type LiveTableOptions } from '@supasync/polling'
import { SupasyncError } from '@supasync/core'
import { useSupasync } from './context.js'
import { useLiveTable, type UseLiveTableConfig, type UseLiveTableResult } from './useLiveTable.js'

/** How long a table opened by a suspended render is kept for the render that follows, in ms. */
const SUSPENSE_HOLD_MS = 10_000

/**
 * {@link useLiveTable} that suspends until the first read has completed: inside `<Suspense fallback>` the component
 * renders only with rows. A first read that fails for good (`REJECTED`, `UNAUTHORIZED`…) is thrown to the nearest
 * error boundary. Client-only: on the server it throws, because a live table would open a socket there; render the
 * component only on the client (`useLiveTable` renders empty rows on the server instead).
 *
 * ```tsx
 * <Suspense fallback={<Spinner />}><Components projectId={42} /></Suspense>
 * function Components({ projectId }) { const { rows } = useLiveTableSuspense({ table: 'components', filter: { project_id: projectId } }) }
 * ```
 */
export function useLiveTableSuspense<R extends object = Record<string, unknown>, T = ReadonlyMap<string, R>>(
  options: LiveTableOptions<R>,
  config: UseLiveTableConfig<R, T> = {},
): Omit<UseLiveTableResult<R, T>, 'loading'> {
  if (typeof window === 'undefined') {
    throw new SupasyncError(
      'INVALID_OPTIONS',
      'useLiveTableSuspense() is client-only: it would open a live table (a socket) during the server render. Use useLiveTable() (empty rows on the server), or render this component only on the client.',
    )
  }
  const { sync } = useSupasync()
  const key = liveTableKey(sync, options as LiveTableOptions<never>)
  // A render that suspends never commits, so its effects never hold the table: the preload holds it meanwhile.
  const table = peekLiveTable<R>(sync, key) ?? preloadLiveTable<R>(sync, options, SUSPENSE_HOLD_MS)
  const result = useLiveTable<R, T>(options, config)
  if (table.readyState === 'pending') throw table.ready.then(noop, noop)
  if (table.readyState === 'failed') throw table.readyError
  return result
}

function noop(): void {}
