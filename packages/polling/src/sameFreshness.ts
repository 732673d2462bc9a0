import type { Freshness } from './LiveTable.js'

/**
 * Whether two freshness snapshots say the same thing apart from `stalenessMs`, which grows every second: bindings
 * re-render on a change of mode, `lastSyncedAt` or error, and on the ticking staleness only when asked to.
 */
export function sameFreshness(a: Freshness, b: Freshness): boolean {
  return a === b || (a.mode === b.mode && a.lastSyncedAt === b.lastSyncedAt && a.error === b.error)
}

/** Freshness before a table is held (server render, hydration, a disabled binding): the same object every time. */
export const INITIAL_FRESHNESS: Freshness = Object.freeze({ mode: 'catching-up', lastSyncedAt: undefined, stalenessMs: 0, error: undefined })
