import { useMemo } from 'react'
import { useSyncExternalStoreWithSelector } from './withSelector.js'
import { INITIAL_STATUS, type ConnectionStatus } from '@supasync/core'
import { useSupasync } from './context.js'
import { bindStore, identity } from './snapshots.js'

/**
 * The connection of the supasync instance: `{ state, rttMs, channels, leases, since, socketProven, heartbeatAt }`
 * (see `ConnectionStatus` in core). On the server and during hydration it is a constant with `state: 'connecting'`.
 * With `select` (and `isEqual`, default `Object.is`) the component re-renders only when the selected value changes:
 *
 * ```tsx
 * const state = useConnectionStatus((status) => status.state)   // not on every rttMs change
 * ```
 */
export function useConnectionStatus(): ConnectionStatus
export function useConnectionStatus<T>(select: (status: ConnectionStatus) => T, isEqual?: (a: T, b: T) => boolean): T
export function useConnectionStatus<T>(select?: (status: ConnectionStatus) => T, isEqual?: (a: T, b: T) => boolean): T | ConnectionStatus {
  const { sync } = useSupasync()
  const { subscribe, get } = useMemo(() => bindStore(sync.status), [sync])
  return useSyncExternalStoreWithSelector(
    subscribe,
    get,
    () => INITIAL_STATUS,
    (select ?? identity) as (status: ConnectionStatus) => T,
    isEqual,
  )
}
