import { onScopeDispose, shallowRef, type ShallowRef } from 'vue'
import { INITIAL_STATUS, type ConnectionStatus } from '@supasync/core'
import { bindStore, useClientScope, whenClient } from './keyedLease.js'
import type { SupasyncInstance } from './useSupasync.js'

/** The connection status on the server and while hydrating (core's `INITIAL_STATUS`: `state: 'connecting'`). */
export const SERVER_STATUS: ConnectionStatus = INITIAL_STATUS

/**
 * The connection of the supasync instance: `{ state, rttMs, channels, leases, since, socketProven, heartbeatAt }` (see
 * `ConnectionStatus` in core), as a read-only shallowRef. On the server and while hydrating it is a constant with
 * `state: 'connecting'`. The whole object changes with every heartbeat's `rttMs`: pass `select` (and `isEqual`,
 * default `Object.is`) so the ref — and what renders it — changes only when the selected value does.
 *
 * ```ts
 * const status = useConnectionStatus()                          // status.value.rttMs
 * const state = useConnectionStatus((status) => status.state)   // not on every rttMs change
 * ```
 */
export function useConnectionStatus(): Readonly<ShallowRef<ConnectionStatus>>
/**
 * The part of the connection status `select` picks, as a read-only shallowRef that changes only when the picked
 * value does.
 *
 * @param select Picks what the component uses, e.g. `(status) => status.state`.
 * @param isEqual Compares two picked values; equal keeps the old one. Default `Object.is`.
 * @param instance The supasync instance to use instead of the plugin's. Default: the plugin's.
 */
export function useConnectionStatus<T>(select: (status: ConnectionStatus) => T, isEqual?: (a: T, b: T) => boolean, instance?: SupasyncInstance): Readonly<ShallowRef<T>>
/**
 * The whole connection status of an explicitly given instance (outside the plugin's app).
 *
 * @param select Leave undefined for the whole status.
 * @param isEqual Leave undefined.
 * @param instance The supasync instance to use instead of the plugin's.
 */
export function useConnectionStatus(select: undefined, isEqual: undefined, instance: SupasyncInstance): Readonly<ShallowRef<ConnectionStatus>>
export function useConnectionStatus<T>(
  select: (status: ConnectionStatus) => T = (status) => status as T,
  isEqual: (a: T, b: T) => boolean = Object.is,
  instance?: SupasyncInstance,
): Readonly<ShallowRef<T>> {
  const context = useClientScope('useConnectionStatus', instance)
  let current = select(context.server || context.hydrating ? SERVER_STATUS : context.sync.status.get())
  const status = shallowRef(current)
  whenClient(context, () => {
    onScopeDispose(
      bindStore(context.sync.status, (value) => {
        const next = select(value)
        if (!isEqual(current, next)) status.value = current = next
      }),
    )
  })
  return status
}
