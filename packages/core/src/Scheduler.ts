import type { TimerPort } from './ports.js'

/**
 * Every timer supasync starts goes through one Scheduler, so `destroy()` can clear them all and tests can
 * assert that none is left (`pending` back to zero).
 */
export class Scheduler {
  private readonly active = new Map<number, unknown>()
  private nextId = 0

  constructor(readonly timers: TimerPort) {}

  /** Runs `callback` after `ms`; returns a cancel function (idempotent). */
  after(ms: number, callback: () => void): () => void {
    const id = ++this.nextId
    const handle = this.timers.setTimeout(() => {
      this.active.delete(id)
      callback()
    }, Math.max(0, ms))
    this.active.set(id, handle)
    return () => {
      // TimerHandle is opaque (a port may even hand out undefined): membership, not the value, says "pending".
      if (!this.active.has(id)) return
      const pending = this.active.get(id)
      this.active.delete(id)
      this.timers.clearTimeout(pending)
    }
  }

  /** Runs `callback` every `ms` until cancelled. */
  every(ms: number, callback: () => void): () => void {
    let cancel: () => void = () => {}
    let stopped = false
    const tick = () => {
      if (stopped) return
      cancel = this.after(ms, () => {
        tick()
        callback()
      })
    }
    tick()
    return () => {
      stopped = true
      cancel()
    }
  }

  now(): number {
    return this.timers.now()
  }

  /** Timers not yet fired or cancelled. */
  get pending(): number {
    return this.active.size
  }

  clearAll(): void {
    for (const handle of this.active.values()) this.timers.clearTimeout(handle)
    this.active.clear()
  }
}
