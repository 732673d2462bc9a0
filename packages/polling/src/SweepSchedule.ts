import type { Scheduler } from '@supasync/core'

/** What decides when a live table sweeps its keys. */
export interface SweepScheduleOptions {
  /** A fixed interval in ms (the sweepIntervalMs option), or undefined for the automatic one. */
  fixedMs: number | undefined
  maxStalenessMs: number
  scheduler: Scheduler
  /** The server reports access changes (supasync.track_access), so sweeps are needed only when one is reported. */
  tracked(): boolean
  /** Mean duration of the completed sweeps, in ms (0 before the first). */
  meanSweepMs(): number
  /** Runs one sweep (or asks for one more after the one running). */
  run(): Promise<void>
}

/**
 * When to sweep: at once when the server reports that the user's access changed, and otherwise periodically.
 *
 * The automatic period is budget / 2 when the server does not report access changes (a revoked row then leaves
 * within the budget), and 10 × budget as a safety net when it does. Either way at least 20 × the sweep's own
 * duration: a sweep of 100,000 keys under RLS takes seconds, and sweeping back to back would take that much of the
 * database from everyone (the benchmark measured it). Past the budget, revocations that the server does not report
 * are late: {@link lateBy} says by how much.
 */
export class SweepSchedule {
  private cancel: (() => void) | undefined
  private stopped = false
  /** The access stamp was read at least once (the load's watermark); a later, newer one is a change. */
  private accessKnown = false
  private access: number | undefined

  constructor(private readonly options: SweepScheduleOptions) {}

  start(): void {
    this.plan()
  }

  stop(): void {
    this.stopped = true
    this.cancel?.()
    this.cancel = undefined
  }

  /** The access stamp (server µs) of a read: a newer one than before means access changed, so sweep now. */
  noteAccess(stamp: number | undefined): void {
    const changed = this.accessKnown && stamp !== undefined && (this.access === undefined || stamp > this.access)
    this.accessKnown = true
    if (stamp !== undefined) this.access = Math.max(this.access ?? stamp, stamp)
    if (changed) this.soon()
  }

  /** Sweeps as soon as possible. */
  soon(): void {
    if (this.stopped) return
    this.cancel?.()
    this.cancel = this.options.scheduler.after(0, () => void this.fire())
  }

  /** The period now, in ms. */
  intervalMs(): number {
    const { fixedMs, maxStalenessMs } = this.options
    if (fixedMs !== undefined) return fixedMs
    const floor = this.options.tracked() ? 10 * maxStalenessMs : maxStalenessMs / 2
    return Math.max(floor, 20 * this.options.meanSweepMs())
  }

  /** How much later than the budget a revocation the server does not report can leave the view, in ms (0: in time). */
  lateBy(): number {
    if (this.options.tracked()) return 0
    return Math.max(0, this.intervalMs() + this.options.meanSweepMs() - this.options.maxStalenessMs)
  }

  private async fire(): Promise<void> {
    this.cancel = undefined
    await this.options.run()
    this.plan()
  }

  private plan(): void {
    if (this.stopped) return
    this.cancel?.()
    this.cancel = this.options.scheduler.after(this.intervalMs(), () => void this.fire())
  }
}
