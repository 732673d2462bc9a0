import type { TimerPort } from '@supasync/core'

type TimerHandle = ReturnType<TimerPort['setTimeout']>

/**
 * Named one-shot timers on a {@link TimerPort}: at most one pending timer per name (setting a name again
 * replaces it), so a presence room never holds more than its handful of timers, and `clearAll()` on leave
 * provably leaves none behind (`size` back to zero).
 */
export class TimerSlots<Name extends string> {
  private readonly slots = new Map<Name, { handle: TimerHandle; at: number }>()

  constructor(private readonly port: TimerPort) {}

  now(): number {
    return this.port.now()
  }

  /** The wall clock (epoch ms); the port's own clock when it has none. */
  wallNow(): number {
    return this.port.wallNow ? this.port.wallNow() : this.port.now()
  }

  /** Runs `callback` after `ms` (replacing a pending timer of the same name). */
  set(name: Name, ms: number, callback: () => void): void {
    this.clear(name)
    const delay = Math.max(0, ms)
    const entry = {
      at: this.port.now() + delay,
      handle: undefined as TimerHandle,
    }
    entry.handle = this.port.setTimeout(() => {
      if (this.slots.get(name) !== entry) return
      this.slots.delete(name)
      callback()
    }, delay)
    this.slots.set(name, entry)
  }

  /** When the pending timer of `name` fires (port clock), or undefined when none is pending. */
  dueAt(name: Name): number | undefined {
    return this.slots.get(name)?.at
  }

  has(name: Name): boolean {
    return this.slots.has(name)
  }

  clear(name: Name): void {
    const entry = this.slots.get(name)
    if (!entry) return
    this.slots.delete(name)
    this.port.clearTimeout(entry.handle)
  }

  clearAll(): void {
    for (const name of [...this.slots.keys()]) this.clear(name)
  }

  /** Timers pending now. */
  get size(): number {
    return this.slots.size
  }
}
