import type { ReadableStore } from '@supasync/core'

/**
 * One hook instance's claim on a shared thing (a room handle, a changes lease, a live-table lease, a presence room),
 * taken when React subscribes and given back when it unsubscribes. Several subscriptions of one hook (rows and
 * freshness, say) share one claim. Nothing is acquired during render: on the server React never subscribes, and a
 * render that is thrown away leaves nothing behind. The claim's own grace period (in core) makes StrictMode's
 * unsubscribe-resubscribe and a route change away and back cost no leave or join.
 */
export class Holder<H> {
  private handle: H | undefined
  private holds = 0

  constructor(
    private readonly acquire: () => H,
    private readonly giveBack: (handle: H) => void,
  ) {}

  /** The claim while React is subscribed; undefined before the first subscribe and after the last unsubscribe. */
  get current(): H | undefined {
    return this.handle
  }

  /** Takes the claim (the first hold acquires); returns the idempotent release of this hold. */
  hold(): () => void {
    if (this.holds++ === 0) {
      try {
        this.handle = this.acquire()
      } catch (error) {
        this.holds--
        throw error
      }
    }
    let held = true
    return () => {
      if (!held) return
      held = false
      if (--this.holds > 0) return
      const handle = this.handle
      this.handle = undefined
      if (handle !== undefined) this.giveBack(handle)
    }
  }

  /** A subscribe function for useSyncExternalStore: holds the claim while `store(handle)` is listened to. */
  subscriber<T>(store: (handle: H) => ReadableStore<T>): (listener: () => void) => () => void {
    return (listener) => {
      const release = this.hold()
      const unsubscribe = store(this.handle as H).subscribe(() => listener())
      return () => {
        unsubscribe()
        release()
      }
    }
  }
}
