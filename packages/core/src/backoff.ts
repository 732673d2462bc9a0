/** Exponential backoff with full jitter, so many clients recovering at once do not stampede the server. */
export interface BackoffOptions {
  /** First delay, in ms. Default 1000. */
  initialMs?: number
  /** Largest delay, in ms. Default 30 000. */
  maxMs?: number
  /** Growth per attempt. Default 2. */
  factor?: number
}

export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialMs ?? 1000
  const cap = options.maxMs ?? 30_000
  const ceiling = Math.min(cap, initial * (options.factor ?? 2) ** Math.max(0, attempt))
  // "Equal jitter": never below half the ceiling, so a retry is never immediate.
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

/**
 * Counts consecutive failures of one thing (a channel's joins). After `threshold` in a row it opens: callers
 * wait `openMs` before the next attempt instead of the usual backoff. One success closes it.
 */
export class CircuitBreaker {
  failures = 0

  constructor(
    private readonly threshold = 5,
    private readonly openMs = 60_000,
    private readonly backoff: BackoffOptions = {},
  ) {}

  get isOpen(): boolean {
    return this.failures >= this.threshold
  }

  /** Records a failure; returns how long to wait before the next attempt, in ms. */
  fail(random: () => number = Math.random): number {
    this.failures++
    if (this.isOpen) return Math.round(this.openMs / 2 + random() * (this.openMs / 2))
    return backoffDelay(this.failures - 1, this.backoff, random)
  }

  succeed(): void {
    this.failures = 0
  }
}
