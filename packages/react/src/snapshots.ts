import type { ConnectionStatus, ReadableStore } from '@supasync/core'
import type { Freshness } from '@supasync/polling'

/**
 * Constant snapshots for the server render and the hydration pass (and for a disabled hook): the same object every
 * time, so React never sees a change where there is none, and the server markup matches the first client render.
 */
export const SERVER_STATUS: ConnectionStatus = Object.freeze({
  state: 'connecting',
  rttMs: undefined,
  channels: 0,
  leases: 0,
  since: 0,
  socketProven: false,
  heartbeatAt: undefined,
})

export const EMPTY_ROWS: ReadonlyMap<string, never> = new Map<string, never>()

export const EMPTY_LIST: readonly never[] = Object.freeze([])

export const INITIAL_FRESHNESS: Freshness = Object.freeze({ mode: 'catching-up', lastSyncedAt: undefined, stalenessMs: 0, error: undefined })

export const identity = <T>(value: T): T => value

/** A store's methods as free functions for useSyncExternalStore (stores are classes: their methods need `this`). */
export function bindStore<T>(store: ReadableStore<T>): { subscribe: (listener: () => void) => () => void; get: () => T } {
  return { subscribe: (listener) => store.subscribe(() => listener()), get: () => store.get() }
}
