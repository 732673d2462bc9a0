/**
 * The client side of the server's presence rate limit.
 *
 * The server allows 5 presence calls (track and untrack alike) per channel in a fixed window of 30 s anchored
 * at the first call, measured when each call arrives; the 6th shuts the channel down. The anchor is not
 * visible to the client and arrival times differ from send times, so the budget here is stricter: at most
 * `maxCalls` (default 4) calls in ANY `windowMs` (default 31 000: the 30 s plus 1 s for latency jitter) of send
 * times. Any stretch of 30 s of arrivals then holds at most 4 of our calls, which leaves the 5th as a spare
 * (used by `leave()`'s untrack, and a margin against a call counted twice). Calls are also spaced by
 * `minIntervalMs`, so a burst of updates is coalesced instead of spending the whole budget at once.
 *
 * The server counts per channel process, which every (re)join creates afresh: `reset()` on each join.
 */
export class CallBudget {
  /** Send times of the calls still inside the window, oldest first. */
  private calls: number[] = []

  constructor(
    readonly maxCalls: number,
    readonly windowMs: number,
    readonly minIntervalMs: number,
  ) {}

  /** The earliest time (same clock as `now`) a call may go out; `now` itself when one may go out at once. */
  nextAllowedAt(now: number): number {
    this.prune(now)
    let at = now
    const last = this.calls[this.calls.length - 1]
    if (last !== undefined) at = Math.max(at, last + this.minIntervalMs)
    if (this.calls.length >= this.maxCalls) {
      const oldestThatBlocks = this.calls[this.calls.length - this.maxCalls]
      if (oldestThatBlocks !== undefined) at = Math.max(at, oldestThatBlocks + this.windowMs)
    }
    return at
  }

  /** Records a call sent at `now` (also the spare untrack, which is sent without asking). */
  record(now: number): void {
    this.prune(now)
    this.calls.push(now)
  }

  /** Calls inside the window at `now`. */
  used(now: number): number {
    this.prune(now)
    return this.calls.length
  }

  /** A new join: the server starts counting from zero. */
  reset(): void {
    this.calls = []
  }

  private prune(now: number): void {
    let drop = 0
    while (drop < this.calls.length && this.calls[drop]! + this.windowMs <= now) drop++
    if (drop > 0) this.calls = this.calls.slice(drop)
  }
}
