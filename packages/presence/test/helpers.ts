import type { TimerPort } from '@supasync/core'

export { waitFor } from '../../local/test/helpers.js'

/** A supasync instance over a fresh supabase-js client (its own socket: one tab) of the stack. */
export { syncFor } from '../../core/test/helpers.js'

/** A manual clock implementing TimerPort: time moves only on `advance`, firing due timers in order. */
export interface ManualClock extends TimerPort {
  advance(ms: number): void
  /** Timers scheduled and neither fired nor cleared. */
  readonly pending: number
  /** When the earliest pending timer fires, or undefined. */
  nextDue(): number | undefined
}

export function manualClock(start = 1_700_000_000_000): ManualClock {
  let now = start
  let seq = 0
  const timers = new Map<number, { at: number; seq: number; callback: () => void }>()
  return {
    setTimeout(callback, ms) {
      const id = ++seq
      timers.set(id, { at: now + Math.max(0, ms), seq: id, callback })
      return id
    },
    clearTimeout(handle) {
      timers.delete(handle as number)
    },
    now: () => now,
    advance(ms) {
      const target = now + ms
      for (;;) {
        let next: [number, { at: number; seq: number; callback: () => void }] | undefined
        for (const entry of timers) if (entry[1].at <= target && (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].seq < next[1].seq))) next = entry
        if (!next) break
        timers.delete(next[0])
        now = next[1].at
        next[1].callback()
      }
      now = target
    },
    get pending() {
      return timers.size
    },
    nextDue() {
      let due: number | undefined
      for (const timer of timers.values()) if (due === undefined || timer.at < due) due = timer.at
      return due
    },
  }
}

/** Lets queued microtasks (coalesced flushes and reconciles) run. */
export const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0))
