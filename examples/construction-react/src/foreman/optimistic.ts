/**
 * Milestones the foreman set that the server may not have yet: component id → milestone. The list shows them over
 * the live rows, so an advance shows at once, offline too. Kept in localStorage (per user), so after a reload the
 * rows still show what the queue (in IndexedDB) is about to write.
 *
 * An entry leaves when the live row reaches its milestone (the write arrived), or when the queue has nothing left to
 * send and a fresh read of the table shows what the server holds (a refused write reverts to the server's value).
 */
import { createStore, type ReadableStore } from '@supasync/core'

export type Optimistic = ReadonlyMap<string, string>

export interface OptimisticMilestones extends ReadableStore<Optimistic> {
  /** Shows these milestones at once; returns what they replaced, for `restore`. */
  set(changes: readonly (readonly [id: string, milestone: string])[]): Optimistic
  /** Puts back what `set` replaced (the write could not be queued). */
  restore(previous: Optimistic, ids: readonly string[]): void
  /** Drops the entries whose milestone the live rows show now. */
  settle(serverMilestone: (id: string) => string | undefined): void
  /** Drops the entries `snapshot` had, unless they were set again since. */
  dropSettled(snapshot: Optimistic): void
}

function load(key: string): Map<string, string> {
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(key) ?? '{}')
    if (stored && typeof stored === 'object') {
      return new Map(Object.entries(stored).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
    }
  } catch {
    // a broken entry: start empty (the queue still has the writes; the rows catch up when they land)
  }
  return new Map()
}

export function optimisticMilestones(storageKey: string): OptimisticMilestones {
  const store = createStore<Optimistic>(load(storageKey))
  const commit = (next: Map<string, string>) => {
    store.set(next)
    try {
      if (next.size === 0) localStorage.removeItem(storageKey)
      else localStorage.setItem(storageKey, JSON.stringify(Object.fromEntries(next)))
    } catch {
      // storage full or disabled: the overlay stays in memory for this page
    }
  }
  return {
    get: () => store.get(),
    subscribe: (listener) => store.subscribe(listener),
    set(changes) {
      const current = store.get()
      const previous = new Map<string, string>()
      const next = new Map(current)
      for (const [id, milestone] of changes) {
        const before = current.get(id)
        if (before !== undefined) previous.set(id, before)
        next.set(id, milestone)
      }
      commit(next)
      return previous
    },
    restore(previous, ids) {
      const next = new Map(store.get())
      for (const id of ids) {
        const before = previous.get(id)
        if (before === undefined) next.delete(id)
        else next.set(id, before)
      }
      commit(next)
    },
    settle(serverMilestone) {
      const current = store.get()
      let next: Map<string, string> | undefined
      for (const [id, milestone] of current) {
        if (serverMilestone(id) !== milestone) continue
        next ??= new Map(current)
        next.delete(id)
      }
      if (next) commit(next)
    },
    dropSettled(snapshot) {
      const current = store.get()
      let next: Map<string, string> | undefined
      for (const [id, milestone] of snapshot) {
        if (current.get(id) !== milestone) continue
        next ??= new Map(current)
        next.delete(id)
      }
      if (next) commit(next)
    },
  }
}

const perUser = new Map<string, OptimisticMilestones>()

/** The overlay of this user (one per page: the queue is one per user too). */
export function optimisticFor(user: string): OptimisticMilestones {
  let overlay = perUser.get(user)
  if (!overlay) perUser.set(user, (overlay = optimisticMilestones(`construction-optimistic-${user}`)))
  return overlay
}
