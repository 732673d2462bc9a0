import type { Scheduler } from './Scheduler.js'

/** A holder's claim on a shared value from `sync.share()`. */
export interface SharedLease<V> {
  /** The shared value: the same instance for every holder of its kind and key. */
  readonly value: V
  readonly released: boolean
  /**
   * Gives the value up (idempotent). The last release disposes it after the instance's `graceMs`, unless it is
   * acquired again first; `afterMs` keeps this claim that much longer first (a Suspense render that has not committed).
   */
  release(afterMs?: number): void
}

interface Entry {
  value: unknown
  holders: number
  dispose: (value: unknown) => void
  cancelGrace: (() => void) | undefined
}

/**
 * Values shared by every holder of one key, reference-counted with a grace period: the mechanism behind rooms and
 * bindings of the pool, offered to the packages built on core (live tables, presence) so that React StrictMode,
 * a route change away and back, or two components asking for the same thing cost nothing extra.
 */
export class SharedValues {
  private readonly entries = new Map<string, Entry>()
  private closed = false

  constructor(
    private readonly scheduler: Scheduler,
    private readonly graceMs: number,
    private readonly reportError: (error: unknown) => void,
  ) {}

  acquire<V>(kind: string, key: string, create: () => V, dispose: (value: V) => void): SharedLease<V> {
    const id = `${kind}\u0000${key}`
    let entry = this.entries.get(id)
    if (!entry) {
      // create() may throw (bad options): nothing is registered then.
      entry = { value: create(), holders: 0, dispose: dispose as (value: unknown) => void, cancelGrace: undefined }
      this.entries.set(id, entry)
    }
    entry.cancelGrace?.()
    entry.cancelGrace = undefined
    entry.holders++
    const held = entry
    let released = false
    const drop = () => {
      held.holders--
      if (held.holders > 0 || this.entries.get(id) !== held) return
      if (this.graceMs === 0) return this.disposeEntry(id, held)
      held.cancelGrace = this.scheduler.after(this.graceMs, () => this.disposeEntry(id, held))
    }
    return {
      value: held.value as V,
      get released() {
        return released
      },
      release: (afterMs?: number) => {
        if (released) return
        released = true
        if (afterMs !== undefined && afterMs > 0 && !this.closed) this.scheduler.after(afterMs, drop)
        else drop()
      },
    }
  }

  /** The value held under this kind and key (also while only its grace period keeps it), without acquiring it. */
  peek<V>(kind: string, key: string): V | undefined {
    return this.entries.get(`${kind}\u0000${key}`)?.value as V | undefined
  }

  /**
   * Disposes the value now if nobody holds it (only its grace period keeps it), so a new one with other options can
   * take its key. Returns false when it is held.
   */
  evictIdle(kind: string, key: string): boolean {
    const id = `${kind}\u0000${key}`
    const entry = this.entries.get(id)
    if (!entry) return true
    if (entry.holders > 0) return false
    entry.cancelGrace?.()
    this.disposeEntry(id, entry)
    return true
  }

  get size(): number {
    return this.entries.size
  }

  /** Disposes every value, held or not (the instance is being destroyed). */
  closeAll(): void {
    this.closed = true
    for (const [id, entry] of [...this.entries]) {
      entry.cancelGrace?.()
      this.disposeEntry(id, entry)
    }
  }

  private disposeEntry(id: string, entry: Entry): void {
    if (this.entries.get(id) !== entry) return
    this.entries.delete(id)
    try {
      entry.dispose(entry.value)
    } catch (error) {
      this.reportError(error)
    }
  }
}
