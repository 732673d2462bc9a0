import type { Scheduler, SupasyncError } from '@supasync/core'
import { DigestCheck } from './DigestCheck.js'
import { asPollingError, PollingError } from './errors.js'
import type { KeyDigest } from './KeyDigest.js'
import { KeySweep, type SweepCounts } from './KeySweep.js'
import type { AccessStamp, RestReader, Row } from './RestReader.js'
import type { LiveFilter } from './rowFilter.js'
import { rowKey } from './rowKey.js'
import type { RowView } from './RowView.js'
import { SweepSchedule } from './SweepSchedule.js'
import { parseVersion } from './versions.js'

/** What a live table's key checks need from it. */
export interface KeyChecksHost<R extends object> {
  readonly schema: string
  readonly table: string
  readonly filter: LiveFilter
  readonly primaryKey: readonly string[]
  readonly cursor: string
  readonly pageSize: number
  /** The sweepIntervalMs option (undefined: automatic). */
  readonly sweepIntervalMs: number | undefined
  readonly maxStalenessMs: number
  readonly retryMs: number
  readonly reader: RestReader
  readonly scheduler: Scheduler
  readonly view: RowView<R>
  /** Loaded and not destroyed. */
  ready(): boolean
  isOnline(): boolean
  /** The table's poll interval now, in ms. */
  pollIntervalMs(): number
  /** Applies a row read by a sweep (filter and soft delete checked by the table). */
  apply(key: string, row: Row, version: number): void
  report(error: SupasyncError<string>): void
  warn(error: PollingError): void
  /** Re-derives freshness (a completed sweep may end a claim's hold). */
  update(): void
}

/**
 * A live table's key checks, in one place: rows the user may no longer read (or may now read) without a write are
 * found by comparing keys with the server. A {@link SweepSchedule} decides when; a periodic check rides on a poll as
 * a key digest ({@link DigestCheck}) where the server can compute one, and a {@link KeySweep} reads the keys when the
 * digest differs, when an access change is reported, or where digests are not available.
 */
export class KeyChecks<R extends object> {
  /** Keys a sweep dropped → when that sweep began (port clock); polls read before then may not bring them back. */
  readonly sweptAt = new Map<string, number>()
  readonly schedule: SweepSchedule
  private readonly sweep: KeySweep
  private readonly digest: DigestCheck
  /** The warning that untracked revocations can miss the budget was given (once per table). */
  private warnedLate = false
  private stopped = false

  constructor(private readonly host: KeyChecksHost<R>) {
    const { view } = host
    this.sweep = new KeySweep(host.reader, {
      filter: host.filter,
      primaryKey: host.primaryKey,
      pageSize: host.pageSize,
      heldKeys: () => view.keys(),
      has: (key) => view.versionOf(key) !== undefined,
      drop: (key, sweepStartedAt) => {
        if (this.stopped) return
        // Weak, at the held version: the same version may come back when access is granted again (adopt). A poll
        // that read the row before this sweep began must not bring it back: see LiveTable.receiveRows.
        view.remove(key, view.versionOf(key)!, 'poll', true)
        this.sweptAt.set(key, sweepStartedAt)
      },
      adopt: (row) => {
        if (this.stopped) return
        const key = rowKey(row, host.primaryKey)
        const version = parseVersion(row[host.cursor])
        // Filter and soft delete checked on the row as read: it may have changed since its key was listed.
        if (key !== undefined && version !== undefined) {
          this.sweptAt.delete(key)
          host.apply(key, row, version)
        }
      },
    }, () => host.scheduler.now())
    const counts = this.sweep.counts
    const digest = (this.digest = new DigestCheck({
      table: `${host.schema}.${host.table}`,
      reader: host.reader,
      view,
      counts,
      now: () => host.scheduler.now(),
      ready: () => host.ready(),
      warn: (error) => host.warn(error),
    }))
    this.schedule = digest.schedule = new SweepSchedule({
      fixedMs: host.sweepIntervalMs,
      maxStalenessMs: host.maxStalenessMs,
      retryMs: host.retryMs,
      scheduler: host.scheduler,
      meanSweepMs: () => (counts.sweeps === 0 ? 0 : counts.totalMs / counts.sweeps),
      run: () => this.run(),
      random: Math.random,
      digestable: () => digest.usable,
      pollIntervalMs: () => host.pollIntervalMs(),
    })
  }

  /** Counters for stats(). */
  get counts(): SweepCounts {
    return this.sweep.counts
  }

  /** The view is about to change `key` from `version` to `next` (undefined: not held). */
  beforeChange(key: string, version: number | undefined, next: number | undefined): void {
    this.digest.touch(key, version, next)
  }

  /** The view changed `key`: a sweep running now must not judge it. */
  changed(key: string): void {
    this.sweep.touch(key)
  }

  /** The running poll carried `key` (a row or a tombstone). */
  carry(key: string): void {
    this.digest.carry(key)
  }

  /** A poll reading from `since` starts: whether it should carry this table's key digest. */
  openDigest(since: number): boolean {
    return this.digest.open(since)
  }

  receiveDigest(digest: KeyDigest | undefined): void {
    this.digest.receive(digest)
  }

  /** The poll carrying a digest failed. */
  pollFailed(): void {
    this.digest.abandon()
  }

  /** The load completed: periodic checks start (the load showed whether the server reports access changes). */
  start(): void {
    this.schedule.start()
  }

  /** Access may have changed now (another user signed in): a sweep is owed at once. */
  owe(): void {
    this.schedule.owe(this.host.scheduler.now())
  }

  /** See {@link SweepSchedule.noteAccess}. */
  noteAccess(stamp: AccessStamp | undefined, readStartedAt: number): void {
    this.schedule.noteAccess(stamp, readStartedAt)
  }

  online(): void {
    this.schedule.online()
  }

  /** While a sweep is owed: the start of the last read before the change (see SweepSchedule.owedSince). */
  get owedSince(): number | undefined {
    return this.schedule.owedSince
  }

  /** Forgets sweep drops older than `horizon` (port clock): no read in flight can be older. */
  prune(horizon: number): void {
    for (const [key, at] of this.sweptAt) if (at < horizon) this.sweptAt.delete(key)
  }

  /** The table is destroyed: no timer, and a sweep in flight changes nothing. */
  stop(): void {
    this.stopped = true
    this.schedule.stop()
    this.sweep.cancel()
    this.digest.abandon()
  }

  /** One key sweep (see {@link KeySweep}); resolves whether it completed (not before the load, offline, or failed). */
  private async run(): Promise<boolean> {
    const { host, sweep } = this
    if (this.stopped || !host.ready() || !host.isOnline()) return false
    try {
      await sweep.run()
      this.digest.sweepCompleted()
    } catch (cause) {
      // Nothing was dropped; it is tried again (at once when owed). Polls report REST failures too: no error of its own.
      if (!this.stopped) host.report(asPollingError(cause))
      return false
    }
    if (this.stopped) return false
    this.warnIfLate()
    host.update()
    return true
  }

  /** Once per table: periodic checks spaced past the budget (slow sweeps) leave revocations no stamp reports late. */
  private warnIfLate(): void {
    const { schedule, sweep, host } = this
    const late = schedule.lateBy()
    if (late <= 0 || this.warnedLate) return
    this.warnedLate = true
    const timing = `A key sweep of ${host.table} takes about ${Math.round(sweep.counts.totalMs / Math.max(1, sweep.counts.sweeps))} ms, so periodic sweeps run every ${Math.round(schedule.intervalMs() / 1000)} s`
    host.report(new PollingError(schedule.tracked ? 'REJECTED' : 'MISSING_MIGRATION', schedule.tracked
      ? `${timing}. Membership changes are tracked (supasync.track_access) and sweep at once, but a row moved out of the user's reach by a write to the row itself (its project changed) can stay up to ${Math.round(late / 1000)} s longer than maxStalenessMs. Narrow the live table's filter, or call supasync.access_changed() where such writes happen.`
      : `${timing}: a row the user may no longer read can stay up to ${Math.round(late / 1000)} s longer than maxStalenessMs. Run supasync.track_access() on the membership tables your RLS policies use (packages/polling/sql), so sweeps run as soon as a membership changes.`))
  }
}
