import type { Scheduler } from '@supasync/core'
import type { AccessStamp } from './RestReader.js'

/** What decides when a live table sweeps its keys. */
export interface SweepScheduleOptions {
  /** A fixed interval in ms (the sweepIntervalMs option), or undefined for the automatic one. */
  fixedMs: number | undefined
  maxStalenessMs: number
  /** Delay before a failed sweep that is owed is retried, in ms. */
  retryMs: number
  scheduler: Scheduler
  /** Mean duration of the completed sweeps, in ms (0 before the first). */
  meanSweepMs(): number
  /** Runs one sweep; resolves true when a sweep that started now (or later) completed. */
  run(): Promise<boolean>
  random(): number
  /**
   * Whether a periodic check can ride on a poll as a key digest (public.supasync_poll with digest_filters) instead
   * of reading the keys. Asked at each periodic check.
   */
  digestable(): boolean
  /** The member's poll interval now, in ms: how long before a check is due it must be asked of the next poll. */
  pollIntervalMs(): number
}

/**
 * When to sweep. Periodically, every budget / 2 but never more often than 20 × a sweep's own duration (a sweep of
 * 100,000 keys under RLS takes seconds; back to back it would take that much of the database from everyone). And
 * when the watermark reports an access change (supasync.track_access): that sweep is **owed** until one that started
 * after the report completes, retried after failures, and meanwhile the table claims nothing newer than the read
 * before the report (see {@link owedSince}).
 *
 * Where polls can carry key digests ({@link SweepScheduleOptions.digestable}), a periodic check is asked of the
 * next poll instead ({@link wantsDigest}): it costs no request, and only a digest that differs from the view's
 * makes the sweep read the keys. A check asked of polls that never answer (they fail) becomes a sweep an interval
 * later. Owed sweeps read the keys at once.
 */
export class SweepSchedule {
  private cancel: (() => void) | undefined
  private stopped = false
  private running = false
  /** The last access stamp read; undefined before the first read (the load's). */
  private access: AccessStamp | null | undefined
  /**
   * A sweep is owed (an access change was reported): one that starts after `after` must complete; until then claims
   * stop at `cap` (port clock). Undefined when none is owed.
   */
  private owed: { after: number; cap: number } | undefined
  private lastSweepEndedAt = -Infinity
  /** When the read that brought the last access stamp began (port clock). */
  private lastReadStartedAt: number | undefined
  /** A periodic check waits for the next poll's digest since then (port clock); undefined when none does. */
  private digestAskedAt: number | undefined
  /** The last digest differed from the view: the next check reads the keys. */
  private keysNext = false
  /** A poll carrying the digest is running. */
  private digestInFlight = false
  /** Digest checks answered, and their total duration (the poll that carried them), in ms. */
  private digestChecks = 0
  private digestMs = 0

  constructor(private readonly options: SweepScheduleOptions) {}

  start(): void {
    this.plan(this.nextCheckMs())
  }

  stop(): void {
    this.stopped = true
    this.cancel?.()
    this.cancel = undefined
  }

  /**
   * The access stamp of a read that began at `readStartedAt`. Any difference from the previous one (another user,
   * or either stamp moved, either way) means access may have changed since the previous read: a sweep is owed,
   * and claims stop at that read's start until one completes. Returns true when it did.
   */
  noteAccess(stamp: AccessStamp | undefined, readStartedAt: number): boolean {
    const previous = this.access
    const previousRead = this.lastReadStartedAt
    this.access = stamp ?? null
    this.lastReadStartedAt = readStartedAt
    if (previous === undefined || stamp === undefined) return false
    if (previous !== null && previous.sub === stamp.sub && previous.user === stamp.user && previous.all === stamp.all) return false
    // A change for everyone (a policy rewritten) reaches every client at once: spread their sweeps over a quarter
    // budget instead of all hitting the database in the same poll interval.
    const onlyAll = previous !== null && previous.sub === stamp.sub && previous.user === stamp.user
    // The change committed after the previous read took its stamp: owed from that read's start.
    this.owe(previousRead ?? readStartedAt, onlyAll ? this.options.random() * (this.options.maxStalenessMs / 4) : 0)
    return true
  }

  /**
   * Access may have changed after `cap` (port clock): a sweep that starts from now on must complete, and claims stop
   * at `cap` until it does. The first try after `delayMs`.
   */
  owe(cap: number, delayMs = 0): void {
    const after = this.options.scheduler.now()
    this.owed = { after, cap: Math.min(this.owed?.cap ?? cap, cap) }
    this.soon(delayMs)
  }

  /**
   * While a sweep is owed: the start of the last read before the change (claims stop there, since the view may still
   * show rows the user may no longer read). Undefined when none is owed.
   */
  get owedSince(): number | undefined {
    return this.owed?.cap
  }

  /** Sweeps soon: after `delayMs`, and no sooner than twice a sweep's duration after the last one ended. */
  soon(delayMs = 0): void {
    if (this.stopped) return
    const { scheduler } = this.options
    const earliest = this.lastSweepEndedAt + 2 * this.options.meanSweepMs() - scheduler.now()
    this.plan(Math.max(delayMs, earliest, 0))
  }

  /** A poll is starting: whether it should carry the key digest of a periodic check. */
  wantsDigest(): boolean {
    return this.digestAskedAt !== undefined && !this.running && !this.stopped && this.owed === undefined
  }

  /** The starting poll carries the digest (until digestAnswered, digestUnanswered or digestLost). */
  digestCarried(): void {
    this.digestInFlight = true
  }

  /**
   * The poll carrying the digest failed: the next one is asked again, unless it showed that polls cannot carry
   * digests (the function is gone): then the keys are read now.
   */
  digestLost(): void {
    this.digestInFlight = false
    if (this.digestAskedAt === undefined || this.stopped || this.options.digestable()) return
    this.digestAskedAt = undefined
    this.soon()
  }

  /**
   * The digest asked of a poll came back, compared with the view: `same` when they agree (the check is done),
   * else the keys are read now. `ms`: how long the poll that carried it took.
   */
  digestAnswered(same: boolean, ms: number): void {
    this.digestInFlight = false
    if (this.digestAskedAt === undefined || this.stopped) return
    this.digestAskedAt = undefined
    this.digestChecks++
    this.digestMs += ms
    if (same) {
      this.lastSweepEndedAt = this.options.scheduler.now()
      this.plan(this.nextCheckMs())
    } else {
      this.keysNext = true
      this.soon()
    }
  }

  /**
   * The poll asked for the digest could not compute it. Where polls cannot carry digests at all (an older function,
   * three requests), the keys are read now; else the next poll is asked again.
   */
  digestUnanswered(): void {
    this.digestInFlight = false
    if (this.digestAskedAt === undefined || this.stopped || this.options.digestable()) return
    this.digestAskedAt = undefined
    this.soon()
  }

  /** The network is back: an owed sweep goes now. */
  online(): void {
    if (this.owed !== undefined) this.soon()
  }

  /** The last watermark said some membership table is tracked (supasync.track_access). */
  get tracked(): boolean {
    return this.access?.tracked === true
  }

  /** The periodic interval now, in ms. */
  intervalMs(): number {
    const { fixedMs, maxStalenessMs } = this.options
    if (fixedMs !== undefined) return fixedMs
    // What runs periodically is what costs the database: a digest (a poll's scan of the filter) where polls carry them.
    const meanMs = this.digestChecks > 0 && this.options.digestable() ? this.digestMs / this.digestChecks : this.options.meanSweepMs()
    return Math.max(maxStalenessMs / 2, 20 * meanMs)
  }

  /** Delay to the next periodic check: a digest must be asked one poll interval before the check is due. */
  private nextCheckMs(): number {
    const interval = this.intervalMs()
    return this.options.digestable() ? Math.max(0, interval - this.options.pollIntervalMs()) : interval
  }

  /** How much later than the budget a revocation that no access stamp reports can leave the view, in ms (0: in time). */
  lateBy(): number {
    return Math.max(0, this.intervalMs() + this.options.meanSweepMs() - this.options.maxStalenessMs)
  }

  private async fire(): Promise<void> {
    this.cancel = undefined
    if (this.running || this.stopped) return
    if (this.owed === undefined && !this.keysNext && this.options.digestable()) {
      if (this.digestAskedAt === undefined) {
        // Periodic, and polls carry digests: ask the next one. If none answers an interval (and a poll) later, polls
        // keep failing or never come: read the keys then.
        this.digestAskedAt = this.options.scheduler.now()
        this.plan(this.intervalMs() + this.options.pollIntervalMs())
        return
      }
      // A poll carrying it is still out: its answer decides.
      if (this.digestInFlight) return this.plan(this.options.pollIntervalMs())
    }
    this.digestAskedAt = undefined
    this.keysNext = false
    this.running = true
    const startedAt = this.options.scheduler.now()
    let completed = false
    try {
      completed = await this.options.run()
    } finally {
      this.running = false
    }
    if (this.stopped) return
    if (completed) {
      this.lastSweepEndedAt = this.options.scheduler.now()
      // Owed from before this sweep began: paid. A report that came in meanwhile keeps it owed.
      if (this.owed !== undefined && this.owed.after <= startedAt) this.owed = undefined
    }
    if (this.owed !== undefined) this.plan(completed ? 0 : this.options.retryMs)
    else if (completed) this.plan(this.nextCheckMs())
    else this.plan(this.intervalMs())
  }

  private plan(delayMs: number): void {
    if (this.stopped) return
    this.cancel?.()
    this.cancel = this.options.scheduler.after(delayMs, () => void this.fire())
  }
}
