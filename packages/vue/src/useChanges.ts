import { shallowRef, toValue, unref, type MaybeRef, type MaybeRefOrGetter, type ShallowRef } from 'vue'
import { stableKey, type SupasyncError, type ChangePayload, type ChangeSpec, type LeaseStatus } from '@supasync/core'
import { bindStore, useClientScope, watchKeyed } from './keyedLease.js'
import type { SupasyncInstance } from './useSupasync.js'

/** What {@link useChanges} returns. */
export interface UseChangesReturn {
  /**
   * 'pending' until the server confirmed the subscription (and on the server, and while hydrating), 'live', 'error'
   * when it was refused (see `error`), 'released' when the spec is null.
   */
  status: Readonly<ShallowRef<LeaseStatus>>
  /** Why the subscription failed: the server refused it, or the spec is invalid (`INVALID_FILTER`). */
  error: Readonly<ShallowRef<SupasyncError | undefined>>
}

/** A change as the callback receives it, typed by the row. */
export type RowChange<Row extends Record<string, unknown>> = ChangePayload & { new: Partial<Row>; old: Partial<Row> }

/**
 * Subscribes `callback` to postgres_changes matching `spec` while the calling scope lives (`sync.changes`: identical
 * specs share one server binding, and a released one leaves after the grace period). `spec` may be a ref or getter,
 * watched by value; `null` disables it. The callback is called through a latest reference: a ref holding a
 * function may be swapped without resubscribing. An invalid spec is reported in `error`, not thrown.
 *
 * ```ts
 * const { status } = useChanges(() => ({ table: 'milestone_events', filter: `project_id=eq.${props.projectId}` }), (change) => notify(change))
 * ```
 *
 * @param spec `{ schema?, table, filter?, event? }` (see `ChangeSpec` in core), or null.
 * @param callback Receives every change.
 * @param instance The supasync instance to use instead of the plugin's. Default: the plugin's.
 */
export function useChanges<Row extends Record<string, unknown> = Record<string, unknown>>(
  spec: MaybeRefOrGetter<ChangeSpec | null | undefined>,
  callback: MaybeRef<(change: RowChange<Row>) => void>,
  instance?: SupasyncInstance,
): UseChangesReturn {
  const context = useClientScope('useChanges', instance)
  const status = shallowRef<LeaseStatus>(toValue(spec) == null ? 'released' : 'pending')
  const error = shallowRef<SupasyncError | undefined>()
  watchKeyed(context, () => toValue(spec), stableKey, (value) => {
    error.value = undefined
    if (value === null) {
      status.value = 'released'
      return
    }
    let lease
    try {
      lease = context.sync.changes<Row>(value, (change) => unref(callback)(change))
    } catch (cause) {
      status.value = 'error'
      // sync.changes throws SupasyncErrors only (INVALID_FILTER, CHANNEL_LIMIT, DESTROYED).
      error.value = cause as SupasyncError
      return
    }
    const held = lease
    const off = bindStore(held.status, (value) => {
      if (value === 'error') error.value = held.error
      status.value = value
    })
    return () => {
      off()
      held.release()
    }
  })
  return { status, error }
}
