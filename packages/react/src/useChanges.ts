import { useMemo, useSyncExternalStore } from 'react'
import { stableKey, type ChangePayload, type ChangesLease, type ChangeSpec, type LeaseStatus, type SupasyncError } from '@supasync/core'
import { useSupasync } from './context.js'
import { Holder } from './Holder.js'
import { useLatest } from './useLatest.js'

/** What {@link useChanges} returns. */
export interface UseChangesResult {
  /** 'pending' until the server confirms the subscription, then 'live'; 'error' if it refused it; 'released' when disabled. */
  status: LeaseStatus
  /** Why the server refused the subscription (status 'error'), with the fix in its message. */
  error: SupasyncError | undefined
}

const noSubscription = () => () => {}

/**
 * Calls `callback` for every postgres change matching `spec` (raw events: no catch-up, no dedupe; for a view that is
 * guaranteed fresh use `useLiveTable`). Identical specs across components share one server binding; the callback is
 * held through a latest-ref, so an inline function never resubscribes; an equal inline spec keeps the subscription,
 * a changed one switches it. `null` disables it.
 *
 * ```tsx
 * useChanges({ table: 'milestone_events', filter: 'project_id=eq.1', event: 'INSERT' }, (change) => notify(change.new))
 * ```
 */
export function useChanges<Row extends Record<string, unknown> = Record<string, unknown>>(
  spec: ChangeSpec | null,
  callback: (change: ChangePayload & { new: Partial<Row>; old: Partial<Row> }) => void,
  options?: { onError?: (error: SupasyncError) => void },
): UseChangesResult {
  const { sync } = useSupasync()
  const latest = useLatest({ callback, onError: options?.onError })
  const key = spec === null ? null : stableKey(spec)
  const holder = useMemo(
    () =>
      key === null || spec === null
        ? undefined
        : new Holder<ChangesLease>(
            () =>
              sync.changes<Row>(spec, (change) => latest.current.callback(change), {
                onError: (error) => (latest.current.onError ?? ((e: SupasyncError) => console.warn(`[supasync] ${e.message}`)))(error),
              }),
            (lease) => lease.release(),
          ),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the key stands for the spec
    [sync, key],
  )
  const subscribe = useMemo(() => holder?.subscriber((lease) => lease.status) ?? noSubscription, [holder])
  const status = useSyncExternalStore(
    subscribe,
    () => holder?.current?.status.get() ?? (holder ? 'pending' : 'released'),
    () => (holder ? 'pending' : 'released'),
  )
  return { status, error: status === 'error' ? holder?.current?.error : undefined }
}
