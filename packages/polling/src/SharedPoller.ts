import { Scheduler, stableKey, type TimerPort } from '@supasync/core'
import { asPollingError, PollingError } from './errors.js'
import type { PostgrestHost } from './PostgrestHost.js'
import { RestReader, type AccessStamp, type ReadTarget, type Row, type TombstoneRecord } from './RestReader.js'
import { POLL_FUNCTION } from './PollRpc.js'
import type { KeyDigest } from './KeyDigest.js'
import type { DigestRequest } from './PollRpc.js'
import type { LiveFilter } from './rowFilter.js'
import { parseVersion } from './versions.js'

/** A live table as the poller sees it. */
export interface PollMember {
  readonly filter: LiveFilter
  /** Polls must read every changed row the role can see, not only this filter's (to notice rows moved out of it). */
  readonly readsAllChanges: boolean
  /** The poll interval this member needs right now, in ms (shorter while realtime is not proven live). */
  intervalMs(): number
  /**
   * Rows read by a poll. `watermark` is the server time (µs) the poll read before them, when the migration's
   * function exists: a row much older than it that the member did not have was lost by realtime. `startedAt`: when
   * the poll began (port clock); its rows may be older than anything the member learned after that.
   */
  receiveRows(rows: readonly Row[], watermark: number | undefined, startedAt: number): void
  receiveTombstones(records: readonly TombstoneRecord[]): void
  /**
   * Poll number `poll` (SharedPoller.started counts them), which started at `startedAt` (port clock), completed:
   * everything committed before then is applied. `access`: the watermark's access stamp.
   */
  pollSucceeded(startedAt: number, poll: number, watermark: number | undefined, access?: AccessStamp): void
  /** The poll that started at `startedAt` (port clock) failed; a load's failure comes without it. */
  pollFailed(error: PollingError, startedAt?: number): void
  /** Something the app should know once (a missing migration). */
  warn(error: PollingError): void
  /**
   * A poll reading from cursor `since` (µs) is starting: whether it should carry this member's key digest. A member
   * that says yes watches its view from now on and gets {@link receiveDigest} before pollSucceeded (or pollFailed).
   */
  openDigest?(since: number): boolean
  /** The digest of the member's filter over rows older than `since`, or undefined when the poll could not compute it. */
  receiveDigest?(digest: KeyDigest | undefined): void
}

/** Settings that must be equal for live tables to share a poll. */
export interface PollSettings extends ReadTarget {
  /** Re-read window before the watermark, in ms. */
  overlapMs: number
  /** Delay before retrying a failed poll, in ms (capped by the members' interval). */
  retryMs: number
}

interface Waiter {
  resolve(): void
  reject(error: unknown): void
}

const registry = new WeakMap<PostgrestHost, Map<string, SharedPoller>>()

/**
 * One poll loop per (supabase client, table, settings): every live table on that table joins it, and each poll
 * reads the union of their filters once and routes the rows. The cursor never moves past the server's watermark
 * (the start of the oldest open transaction), so a transaction committing after later-stamped ones is still read.
 */
export class SharedPoller {
  static acquire(host: PostgrestHost, settings: PollSettings, timers: TimerPort): SharedPoller {
    let pollers = registry.get(host)
    if (!pollers) registry.set(host, (pollers = new Map()))
    const key = JSON.stringify(settings)
    let poller = pollers.get(key)
    if (!poller || poller.timers !== timers) {
      poller = new SharedPoller(host, settings, timers, () => {
        if (pollers.get(key) === poller) pollers.delete(key)
      })
      pollers.set(key, poller)
    }
    return poller
  }

  readonly reader: RestReader
  readonly scheduler: Scheduler
  /** Live tables that hold this poller (loading or polling); the poller is disposed when the last one leaves. */
  private readonly attached = new Set<PollMember>()
  /** Live tables that have loaded and take part in the polls. */
  private readonly members = new Set<PollMember>()
  /** Safe cursor in µs; undefined: read every row (no member has loaded through a watermark yet). */
  private watermark: number | undefined
  private haveWatermark = false
  /** Lowest load watermark of members that joined while a poll was running. */
  private joinedDuring: number | undefined | null = null
  private running = false
  private again = false
  private lastStartedAt: number | undefined
  /** Consecutive failed polls: after three, the retry delay doubles with each, up to the members' interval. */
  private failures = 0
  /** Polls started so far; a member that needs a read started after some moment compares against it. */
  started = 0
  private cancelTimer: (() => void) | undefined
  private queued: Waiter[] = []
  private inFlight: Waiter[] = []
  private warned = new Set<string>()
  /** Polls completed and failed, for diagnostics and tests. */
  readonly counts = { polls: 0, failures: 0 }

  private constructor(
    host: PostgrestHost,
    private readonly settings: PollSettings,
    private readonly timers: TimerPort,
    private readonly disposeEntry: () => void,
  ) {
    this.scheduler = new Scheduler(timers)
    this.reader = new RestReader(host, settings, this.scheduler)
  }

  /** Registers a live table that will load and then join; it keeps the poller (and its timers) until it leaves. */
  attach(member: PollMember): void {
    this.attached.add(member)
  }

  /**
   * Adds a member that has loaded its rows. `loadWatermark` is the watermark read before its load (or, without
   * the migration, the newest cursor it loaded); the shared cursor moves back to it so nothing after the load is
   * missed.
   */
  join(member: PollMember, loadWatermark: number | undefined): void {
    this.attached.add(member)
    this.members.add(member)
    if (this.running) {
      this.joinedDuring = this.joinedDuring === null ? loadWatermark : lower(this.joinedDuring, loadWatermark)
    } else {
      this.watermark = this.haveWatermark ? lower(this.watermark, loadWatermark) : loadWatermark
      this.haveWatermark = true
    }
    this.reschedule()
  }

  leave(member: PollMember): void {
    if (!this.attached.delete(member)) return
    this.members.delete(member)
    if (this.attached.size > 0) return this.reschedule()
    // The last one: stop everything, including reads in flight and the refresh() calls waiting on them.
    this.cancelTimer?.()
    this.cancelTimer = undefined
    const destroyed = new PollingError('DESTROYED', 'The live table was destroyed before its refresh completed.')
    for (const waiter of [...this.queued.splice(0), ...this.inFlight.splice(0)]) waiter.reject(destroyed)
    this.reader.abortAll()
    this.scheduler.clearAll()
    this.disposeEntry()
  }

  /** Polls as soon as possible (after the running poll, if any); resolves when a poll that started after this call succeeds. */
  request(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({ resolve, reject })
      if (this.running) this.again = true
      else void this.poll()
    })
  }

  /** Re-plans the next poll after a member's interval changed. */
  reschedule(): void {
    if (this.running || this.members.size === 0) return
    this.cancelTimer?.()
    let interval = Infinity
    for (const member of this.members) interval = Math.min(interval, member.intervalMs())
    // The first retries come quickly (a burst of errors must not cost the staleness budget); a longer outage backs off.
    if (this.failures > 0) interval = Math.min(interval, this.settings.retryMs * 2 ** Math.min(Math.max(0, this.failures - 3), 5))
    const now = this.scheduler.now()
    const due = this.lastStartedAt === undefined ? now + interval : this.lastStartedAt + interval
    this.cancelTimer = this.scheduler.after(Math.max(0, due - now), () => {
      this.cancelTimer = undefined
      void this.poll()
    })
  }

  private async poll(): Promise<void> {
    if (this.running || this.members.size === 0) return
    this.running = true
    this.again = false
    this.cancelTimer?.()
    this.cancelTimer = undefined
    const waiters = this.queued.splice(0)
    this.inFlight = waiters
    const poll = ++this.started
    const startedAt = this.scheduler.now()
    this.lastStartedAt = startedAt
    try {
      // Members whose filters this poll reads: only they learn that it completed.
      const polled = [...this.members]
      const since = this.watermark === undefined ? undefined : this.watermark - this.settings.overlapMs * 1000
      const filters = polled.some((member) => member.readsAllChanges) ? undefined : polled.map((member) => member.filter)
      const digests = since === undefined ? undefined : this.digestRequest(polled, since)
      let newest: number | undefined
      // One request (public.supasync_poll) where the server has it; the watermark, rows and tombstones otherwise.
      const window = await this.reader.poll(since, filters, {
        rows: (rows, pollWindow) => {
          for (const row of rows) newest = higher(newest, parseVersion(row[this.settings.cursor]))
          for (const member of [...this.members]) member.receiveRows(rows, pollWindow?.watermark, startedAt)
        },
        tombstones: (records) => {
          for (const member of [...this.members]) member.receiveTombstones(records)
        },
        digests: (answered) => {
          if (!digests) return
          for (const [member, index] of digests.members) if (this.members.has(member)) member.receiveDigest?.(answered?.[index])
        },
      }, digests?.request)
      const next = window?.watermark
      // Without the watermark function: the newest stamp read, less the poll's duration. A row inserted behind the
      // pages already read was stamped during the poll, so no earlier than the server's clock at its start, which
      // the newest stamp (read by the end) exceeds by at most that duration. The overlap covers transactions that
      // commit up to overlapMs after a later-stamped one.
      const fallback = newest === undefined ? undefined : newest - (this.scheduler.now() - startedAt) * 1000
      let advanced = next ?? higher(this.watermark, fallback)
      if (this.joinedDuring !== null) advanced = lower(advanced, this.joinedDuring)
      this.watermark = advanced
      this.joinedDuring = null
      this.failures = 0
      this.counts.polls++
      this.warnMissing()
      for (const member of polled) if (this.members.has(member)) member.pollSucceeded(startedAt, poll, next, window?.access)
      for (const waiter of this.inFlight.splice(0)) waiter.resolve()
    } catch (cause) {
      const error = asPollingError(cause)
      if (this.joinedDuring !== null) this.watermark = lower(this.watermark, this.joinedDuring)
      this.joinedDuring = null
      // Permanent refusals (a bad column) are retried at the normal interval, transient ones sooner.
      this.failures = error.transient ? this.failures + 1 : 0
      this.counts.failures++
      for (const member of [...this.members]) member.pollFailed(error, startedAt)
      for (const waiter of this.inFlight.splice(0)) waiter.reject(error)
    } finally {
      this.running = false
    }
    if (this.attached.size === 0) return
    if (this.again || this.queued.length > 0) void this.poll()
    else this.reschedule()
  }

  /** The members whose periodic key check rides on this poll, and the filters to digest (each distinct one once). */
  private digestRequest(polled: readonly PollMember[], since: number): { request: DigestRequest; members: Map<PollMember, number> } | undefined {
    const members = new Map<PollMember, number>()
    const indexes = new Map<string, number>()
    const filters: LiveFilter[] = []
    for (const member of polled) {
      if (member.openDigest?.(since) !== true) continue
      const key = stableKey(member.filter)
      let index = indexes.get(key)
      if (index === undefined) {
        index = filters.push(member.filter) - 1
        indexes.set(key, index)
      }
      members.set(member, index)
    }
    if (members.size === 0) return undefined
    return { request: { filters, softDeleteColumn: this.settings.softDeleteColumn }, members }
  }

  private warnMissing(): void {
    const { schema, table, overlapMs } = this.settings
    if (!this.reader.watermarkSupported) {
      this.warnOnce(new PollingError('MISSING_MIGRATION',
        `public.supasync_watermark() is missing, so polling of ${schema}.${table} relies on an overlap window of ${Math.round(overlapMs)} ms alone: a write transaction open longer than that can be missed. Apply packages/polling/sql/supasync-polling.sql (or raise overlapMs).`))
    }
    if (!this.reader.sessionsVisible) {
      this.warnOnce(new PollingError('MISSING_MIGRATION',
        `The owner of public.supasync_watermark() cannot see other sessions in pg_stat_activity, so its watermark is just now() and polling of ${schema}.${table} relies on an overlap window of ${Math.round(overlapMs)} ms: a write transaction open longer than that can be missed. Run supasync-polling.sql as a superuser or grant pg_read_all_stats to its owner.`))
    }
    const unusable = this.reader.rpc.unusable
    // Without the watermark function the migration is missing altogether: the warning above says so.
    if (unusable && this.reader.watermarkSupported) {
      const cost = `so each poll of ${schema}.${table} takes three requests (watermark, rows, tombstones) instead of one`
      this.warnOnce(unusable.reason === 'missing'
        ? new PollingError('MISSING_MIGRATION', `public.${POLL_FUNCTION}() is missing (an older supasync-polling.sql), ${cost}. Re-apply packages/polling/sql/supasync-polling.sql.`)
        : unusable.reason === 'refused'
          ? new PollingError('MISSING_MIGRATION', `public.${POLL_FUNCTION}() does not read ${schema}.${table} (${unusable.message}), ${cost}. Run select supasync.enable_polling('${schema}.${table}').`)
          : new PollingError('REJECTED', `public.${POLL_FUNCTION}() is not supasync's (${unusable.message}), ${cost}. Re-apply packages/polling/sql/supasync-polling.sql, or rename your own function of that name.`))
    }
    if (!unusable && !this.reader.rpc.digestsSupported) {
      this.warnOnce(new PollingError('MISSING_MIGRATION',
        `public.${POLL_FUNCTION}() takes no digest_filters (an older supasync-polling.sql), so the periodic key checks of live tables on ${schema}.${table} read the keys (ceil(rows / pageSize) requests each) instead of riding on polls for free. Re-apply packages/polling/sql/supasync-polling.sql.`))
    }
    if (this.reader.serverMaxRows !== undefined) {
      this.warnOnce(new PollingError('REJECTED',
        `PostgREST answers at most ${this.reader.serverMaxRows} rows per request (db-max-rows) but pageSize is ${this.settings.pageSize}: reads of ${schema}.${table} continue past such pages, at the cost of one more request per read that ends on one. Set pageSize to ${this.reader.serverMaxRows} or less.`))
    }
    if (!this.reader.tombstonesSupported) {
      this.warnOnce(new PollingError('MISSING_MIGRATION',
        `public.supasync_tombstones is missing, so hard deletes of ${schema}.${table} reach clients only through realtime, without the staleness guarantee. Apply supasync-polling.sql and run supasync.enable_polling('${schema}.${table}'), or use a softDeleteColumn.`))
    }
  }

  private warnOnce(error: PollingError): void {
    if (this.warned.has(error.message)) return
    this.warned.add(error.message)
    for (const member of [...this.members]) member.warn(error)
  }
}

function lower(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined
  return Math.min(a, b)
}

function higher(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return Math.max(a, b)
}
