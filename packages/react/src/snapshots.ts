import type { ReadableStore } from '@supasync/core'

/**
 * Constant snapshots for the server render and the hydration pass (and for a disabled hook): the same object every
 * time, so React never sees a change where there is none, and the server markup matches the first client render.
 * The connection's and a live table's come from core (`INITIAL_STATUS`) and polling (`INITIAL_FRESHNESS`).
 */
export const EMPTY_ROWS: ReadonlyMap<string, never> = new Map<string, never>()

export const EMPTY_LIST: readonly never[] = Object.freeze([])

export const identity = <T>(value: T): T => value

/** A store's methods as free functions for useSyncExternalStore (stores are classes: their methods need `this`). */
export function bindStore<T>(store: ReadableStore<T>): { subscribe: (listener: () => void) => () => void; get: () => T } {
  return { subscribe: (listener) => store.subscribe(() => listener()), get: () => store.get() }
}
