import { createStore, shallowEqual, toWallTime, type ChangePayload, type ChangesLease, type ReadableStore, type Supasync, type SupasyncError } from '@supasync/core'
import { BroadcastFeed, type DatabaseChange } from './BroadcastFeed.js'
import { CacheMirror } from './CacheMirror.js'
import { deriveMode, type LiveMode } from './deriveMode.js'
import { asPollingError, PollingError } from './errors.js'
import type { ResolvedLiveOptions } from './options.js'
import type { AccessStamp, Row, TombstoneRecord } from './RestReader.js'
import { realtimeFilter, rowMatches, type LiveFilter } from './rowFilter.js'
import { rowKey } from './rowKey.js'
import { watchIdentity } from './watchIdentity.js'
import { KeyChecks } from './KeyChecks.js'
import type { KeyDigest } from './KeyDigest.js'
import type { SweepCounts } from './KeySweep.js'
import { RowView, type LiveChange } from './RowView.js'
import { SharedPoller } from './SharedPoller.js'
import { LiveTableInspection } from './inspectLiveTable.js'
import { parseVersion } from './versions.js'

/** What `live.freshness` holds. */
export interface Freshness {
  /** How the view is kept fresh now; see {@link deriveMode}. */
  mode: LiveMode
  /**
   * Wall time (epoch ms) up to which every committed change is in the view, or superseded there by a newer version
   * of its row: the start of the last successful read, or, while mode is 'realtime', the last heartbeat reply less
   * the delivery delay realtime is held to (max(1 s, maxStalenessMs / 10)). Never ahead of the data: a change
   * committed before it and missing from the view is a bug. Undefined until the first sync (or restored from the
   * cache with the rows). Derived from the port's never-backward clock, so setting the wall clock moves it along.
   */
  lastSyncedAt: number | undefined
  /**
   * How far the view may be behind, in ms: now − lastSyncedAt (since creation before the first sync), measured on
   * the never-backward port clock; keeps counting offline and while the device sleeps, never negative.
   */
  stalenessMs: number
  /**
   * The last failure of a read or of the subscription, cleared by the next successful read. With source 'broadcast'
   * and no failed read: `REALTIME_REFUSED` while the server refuses the topic (the table polls meanwhile).
   */
  error: SupasyncError<string> | undefined
}

/** Counters of one live table, for diagnostics and the benchmark. */
export interface LiveTableStats {
  rows: number
  /** `get(id)` calls that found a row. */
  hits: number
  /** `get(id)` calls that found nothing. */
  misses: number
  /** Deletions remembered so that older copies of the rows cannot come back. */
  tombstones: number
  /** Rows a verification poll found that realtime should have delivered by then (lost or late events). */
  missedByRealtime: number
  /** Rows applied from each source ('cache': restored at start). */
  applied: { cache: number; load: number; realtime: number; poll: number }
  /** Key sweeps (sweepIntervalMs): rows dropped because access was revoked or they left the filter, rows adopted. */
  sweep: SweepCounts
}

/** How often freshness is re-derived (staleness counts, tombstones are pruned), in ms. */
const TICK_MS = 1000

/**
 * One table (or one filtered part of it) kept in a local view within `maxStalenessMs` of commit: see
 * {@link createLiveTable}.
 */
// It is a PollMember of its SharedPoller (checked structurally where it attaches; not part of the public type).
export class LiveTable<R extends object = Row> {
  readonly rows: ReadableStore<ReadonlyMap<string, R>>
  private readonly view: RowView<R>
  private readonly freshnessStore: ReturnType<typeof createStore<Freshness>>
  private readonly poller: SharedPoller
  private readonly leases: ChangesLease[] = []
  /** The private topic changes arrive on (source 'broadcast'); undefined for postgres_changes. */
  private readonly feed: BroadcastFeed | undefined
  /** Why the broadcast source does not deliver (the server refused its topic), while that lasts. */
  private realtimeError: PollingError | undefined
  private readonly cleanups: (() => void)[] = []
  private readonly createdAt: number
  private loaded = false
  private destroyed = false
  /** A catch-up is pending until a poll numbered above this completes (undefined: none pending). */
  private catchUpAfterPoll: number | undefined
  private restHealthy = true
  private lastSyncedAt: number | undefined
  /** Start of the last successful read through PostgREST (port clock). */
  private lastPolledAt: number | undefined
  private needsResync = false
  private lastTickAt: number | undefined
  private cancelLoadRetry: (() => void) | undefined
  private resyncing = false
  private error: SupasyncError<string> | undefined
  private lastReported: string | undefined
  private interval: number
  private readonly mirror: CacheMirror<R> | undefined
  /** Key checks and sweeps (access revoked or granted without a write); undefined with sweepIntervalMs false. */
  private checks: KeyChecks<R> | undefined
  private readonly counters = { hits: 0, misses: 0, missedByRealtime: 0, applied: { cache: 0, load: 0, realtime: 0, poll: 0 } }
  /** Rows and changes missed by realtime of the poll running now, for its `poll` event (sync.onEvent). */
  private readonly pollTally: { rows: number; missed: number; purpose: 'catch-up' | 'verify' | 'poll' | undefined } = { rows: 0, missed: 0, purpose: undefined }
  /** Rows were restored from the cache: the initial load must also drop the ones it does not return. */
  private warmStarted = false
  /** Server time (µs) from which realtime has been claimed live: the watermark of the poll that completed the catch-up. */
  private realtimeSince: number | undefined
  /** Realtime lost changes recently: it is not claimed live before this (port clock, ms). */
  private realtimeSuspectUntil = 0
  /** The last successful poll's watermark (server µs). */
  private lastWatermark: number | undefined
  /** How late a realtime delivery may be before a verification poll that finds it counts it as lost, in ms. */
  private readonly lagMs: number
  /**
   * Resolves once the initial load has completed. Rejects with the first load failure that is not `UNREACHABLE`
   * (`REJECTED`: no such table or column, `UNAUTHORIZED`: the key or token was refused, `BAD_ROW`), whose message
   * names the fix, or with `DESTROYED` if the table is destroyed first. While PostgREST is unreachable it stays
   * pending (the load retries). After a rejection the table keeps retrying and shows the rows once the cause is fixed.
   */
  readonly ready: Promise<void>
  private settleReady!: { resolve(): void; reject(error: unknown): void }
  /**
   * Whether the initial load has completed, readable without awaiting it (a Suspense render must decide
   * synchronously): 'pending', 'failed' with {@link readyError} once `ready` rejected, and 'ready' once a load
   * succeeded, also after a failure (the table keeps retrying; `ready` itself stays rejected then).
   */
  get readyState(): 'pending' | 'ready' | 'failed' {
    return this.settled.state
  }

  /** Why `ready` rejected (see `ready`), once readyState is 'failed'. */
  get readyError(): unknown {
    return this.settled.error
  }

  private readonly settled: { state: 'pending' | 'ready' | 'failed'; error?: unknown } = { state: 'pending' }
  /** What sync.inspect() shows of it (inspectLiveTable.ts). */
  private readonly inspection: LiveTableInspection

  /** @internal Created by the package's factory function, not by `new`. */
  constructor(
    private readonly sync: Supasync,
    private readonly options: ResolvedLiveOptions<R>,
  ) {
    const timers = sync.ports.timers
    // First: a topic held elsewhere with other options throws here, before anything below needs releasing.
    this.feed = options.source === 'broadcast'
      ? new BroadcastFeed(sync, options.topic!, { schema: options.schema, table: options.table, primaryKey: options.primaryKey, cursor: options.cursor })
      : undefined
    this.createdAt = timers.now()
    const mirror = (this.mirror = options.cache && new CacheMirror(options.cache, options, timers, (error) => {
      this.report(error)
      // Another user signed in on this client: the view may hold rows only the previous user may read. A key sweep
      // now, as the new user, drops them (and reads what only the new one may read) rather than a sweep interval later.
      if (error.code === 'IDENTITY_CHANGED') this.checks?.owe()
    }))
    this.view = new RowView<R>(() => timers.now(), (change) => {
      this.checks?.changed(change.key)
      this.counters.applied[change.source]++
      if (change.source !== 'cache') mirror?.write(change.key, change.row, change.version)
      options.onChange?.(change)
    }, (key, version, next) => this.checks?.beforeChange(key, version, next))
    this.rows = this.view.rows
    this.freshnessStore = createStore<Freshness>({ mode: 'catching-up', lastSyncedAt: undefined, stalenessMs: 0, error: undefined }, shallowEqual)
    this.interval = options.pollIntervalMs
    this.lagMs = Math.max(1000, options.maxStalenessMs / 10)
    this.poller = SharedPoller.acquire(options.supabase, {
      schema: options.schema,
      table: options.table,
      primaryKey: options.primaryKey,
      cursor: options.cursor,
      softDeleteColumn: options.softDeleteColumn,
      pageSize: options.pageSize,
      requestTimeoutMs: options.requestTimeoutMs,
      overlapMs: options.overlapMs,
      retryMs: options.retryMs,
    }, timers)
    this.poller.attach(this)
    if (options.sweepIntervalMs !== false) {
      const poller = this.poller
      this.checks = new KeyChecks<R>({
        schema: options.schema,
        table: options.table,
        filter: options.filter,
        primaryKey: options.primaryKey,
        cursor: options.cursor,
        pageSize: options.pageSize,
        sweepIntervalMs: options.sweepIntervalMs,
        maxStalenessMs: options.maxStalenessMs,
        retryMs: options.retryMs,
        reader: poller.reader,
        scheduler: poller.scheduler,
        view: this.view,
        ready: () => this.loaded && !this.destroyed,
        isOnline: () => sync.ports.network.isOnline(),
        pollIntervalMs: () => this.interval,
        apply: (key, row, version) => void this.apply(key, row, version, 'poll'),
        report: (error) => this.report(error),
        warn: (error) => this.warn(error),
        update: () => this.update(),
      })
    }
    this.ready = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }))
    this.ready.then(
      () => (this.settled.state = 'ready'),
      (error: unknown) => {
        this.settled.state = 'failed'
        this.settled.error = error
      },
    )
    this.ready.catch(() => {}) // destroy() before load is not an error anyone must handle
    this.subscribeRealtime()
    this.cleanups.push(sync.status.subscribe(() => this.update()))
    this.cleanups.push(sync.ports.network.subscribe((online) => {
      if (!online) return this.update()
      this.catchUp()
      this.checks?.online()
    }))
    this.cleanups.push(sync.ports.visibility.subscribe((visible) => visible && this.catchUp()))
    // Auth events are instant for a client with Supabase Auth; the token realtime holds also covers the
    // `accessToken` option (and a token set by hand) when the table reads through the instance's own client.
    this.cleanups.push(watchIdentity(options.supabase, () => this.identityChanged()))
    if ((options.supabase as unknown) === sync.client && sync.identity) {
      let known = sync.identity.get()
      this.cleanups.push(sync.identity.subscribe((who) => {
        if (who === known) return
        const previous = known
        known = who
        // The first token realtime learns is where it starts, not a change.
        if (previous !== undefined) this.identityChanged()
      }))
    }
    this.cleanups.push(this.poller.scheduler.every(TICK_MS, () => this.tick()))
    this.inspection = new LiveTableInspection(sync, this, options)
    void this.load()
  }

  get filter(): LiveFilter {
    return this.options.filter
  }

  /** @internal See the detectMovesOut option. */
  get readsAllChanges(): boolean {
    return this.options.detectMovesOut
  }

  /** `{ mode, lastSyncedAt, stalenessMs, error }`; see {@link Freshness}. */
  get freshness(): ReadableStore<Freshness> {
    return this.freshnessStore
  }

  /** The row with this primary key (composite keys: the values in primaryKey order), or undefined. O(1). */
  get(id: string | number | readonly (string | number | boolean)[]): R | undefined {
    const key = Array.isArray(id) ? JSON.stringify(id.map((part) => (typeof part === 'number' || typeof part === 'string' ? String(part) : part))) : String(id)
    const row = this.view.get(key)
    if (row === undefined) this.counters.misses++
    else this.counters.hits++
    return row
  }

  /** Reads the changes since the last poll now; resolves when that read has been applied (rejects if it failed). */
  refresh(): Promise<void> {
    if (this.destroyed) return Promise.reject(new PollingError('DESTROYED', 'refresh() on a destroyed live table: create a new one with createLiveTable().'))
    if (!this.loaded) return this.ready.then(() => this.poller.request())
    return this.poller.request()
  }

  stats(): LiveTableStats {
    const { hits, misses, missedByRealtime, applied } = this.counters
    const sweep = this.checks ? { ...this.checks.counts } : { sweeps: 0, requests: 0, dropped: 0, adopted: 0, totalMs: 0, digestChecks: 0, digestMismatches: 0 }
    return { rows: this.view.size, hits, misses, tombstones: this.view.tombstoneCount, missedByRealtime, applied: { ...applied }, sweep }
  }

  /** Releases the subscriptions, leaves the shared poll and stops every timer. The cache stays open (it is the app's). Idempotent. */
  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    for (const lease of this.leases.splice(0)) lease.release()
    this.feed?.release()
    for (const cleanup of this.cleanups.splice(0)) cleanup()
    this.cancelLoadRetry?.()
    this.checks?.stop()
    this.poller.leave(this)
    this.inspection.unregister()
    this.settleReady.reject(new PollingError('DESTROYED', 'The live table was destroyed before its initial load completed.'))
    this.mirror?.flush()
  }

  // --- realtime -------------------------------------------------------------------------------------------

  private subscribeRealtime(): void {
    if (this.feed) {
      this.feed.start({
        change: (change) => this.onDatabaseChange(change),
        // Joined: from here on deliveries flow; read what was committed while they did not.
        joined: () => this.catchUp(),
        statusChanged: () => this.update(),
      })
      return
    }
    const { schema, table, filter, realtimeDeletes } = this.options
    const onError = (error: SupasyncError<string>) => this.report(error)
    const main = this.sync.changes({ schema, table, filter: realtimeFilter(filter), event: '*' }, (change) => this.onRealtime(change), {
      onError,
      onSubscribed: () => this.catchUp(),
    })
    this.watchLease(main)
    if (realtimeDeletes && Object.keys(filter).length > 0) {
      // Hard deletes of a filtered table arrive only here: it must be live too before realtime is claimed, and it
      // catches up like the main one when it (re)subscribes (it may sit on another channel than the main lease).
      this.watchLease(this.sync.changes({ schema, table, event: 'DELETE' }, (change) => this.onRealtime(change), { onError, onSubscribed: () => this.catchUp() }))
    }
  }

  private watchLease(lease: ChangesLease): void {
    this.leases.push(lease)
    let wasLive = false
    this.cleanups.push(lease.status.subscribe((status) => {
      const live = status === 'live'
      // "Subscribed to PostgreSQL": from here on changes flow; read what was committed while they did not.
      if (live && !wasLive) this.catchUp()
      wasLive = live
      this.update()
    }))
  }

  private onRealtime(change: ChangePayload): void {
    if (this.destroyed) return
    const { primaryKey, cursor } = this.options
    const committed = parseVersion(change.commit_timestamp)
    if (change.eventType === 'DELETE') {
      const key = rowKey(change.old, primaryKey)
      const held = key === undefined ? undefined : this.view.versionOf(key)
      // A row not held needs nothing from here: the server's tombstone, with its exact stamp, reaches every poll that
      // could carry a copy. A row held is removed unless it is newer than the delete's commit (a later re-insert).
      if (key === undefined || held === undefined) return
      // commit_timestamp may carry only milliseconds: the delete committed before the end of that millisecond.
      if (committed !== undefined && committed + (/[.,]\d{4,}/.test(change.commit_timestamp) ? 0 : 999) < held) return
      // The event names no version. A re-insert in the same transaction is stamped before the commit, so the
      // tombstone is the removed version itself, weak: a copy of that same version (the re-insert) may come back.
      this.view.remove(key, held, 'realtime', true)
      return
    }
    if (Array.isArray(change.errors) ? change.errors.length > 0 : Boolean(change.errors)) {
      // Realtime left values out (Error 413: a record over 1 MiB): read the whole row instead of storing a hollow one.
      if (this.loaded) this.poller.request().catch(() => {})
      return
    }
    const key = rowKey(change.new, primaryKey)
    const held = key === undefined ? undefined : this.view.get(key)
    // With the default replica identity an UPDATE leaves out unchanged TOASTed columns: they keep their held values.
    const row = held && Object.keys(held).some((column) => !(column in change.new)) ? { ...held, ...change.new } : (change.new as Row)
    const version = parseVersion(row[cursor]) ?? committed
    if (key === undefined || version === undefined) {
      this.report(new PollingError('BAD_ROW', `A realtime ${change.eventType} of ${this.options.table} has no primary key (${primaryKey.join(', ')}) or cursor (${cursor}) value; check the primaryKey and cursor options.`))
      return
    }
    // Checked on the client too: a Realtime server older than 2.100 ignores all but one filter clause.
    this.apply(key, row, version, 'realtime')
  }

  /** A change broadcast on the topic by a realtime.broadcast_changes trigger (source 'broadcast'). */
  private onDatabaseChange(change: DatabaseChange): void {
    if (this.destroyed) return
    if (change.kind === 'bad') {
      this.report(new PollingError('BAD_ROW', `A broadcast on topic ${JSON.stringify(this.feed!.topic)} for ${this.options.table} is ${change.why}. It was skipped; polls read the row.`))
      if (this.loaded) this.poller.request().catch(() => {})
      return
    }
    if (change.kind === 'delete') {
      const held = this.view.versionOf(change.key)
      // A row not held needs nothing: the server's tombstone reaches every poll that could carry a copy.
      if (held === undefined) return
      // At the deleted row's own version: RowView keeps a row held at a newer one (a re-insert after the delete).
      // Weak, as for postgres_changes: a re-insert stamped like the deleted version (a now() cursor, one transaction)
      // may come back; a poll's copy of the deleted row is settled by the server's tombstone.
      this.view.remove(change.key, change.version ?? held, 'realtime', true)
      return
    }
    // The topic may carry rows outside the filter (another status of the same project): apply() checks it, and an
    // UPDATE that moved a held row out of it removes the row.
    this.apply(change.key, change.row, change.version, 'realtime')
  }

  /**
   * `matched`: whether the row is inside the filter; the load passes true (PostgREST applied the filter), realtime and
   * the shared poll's rows are compared on the client.
   */
  private apply(key: string, row: Row, version: number, source: LiveChange<R>['source'], matched = rowMatches(row, this.options.filter)): boolean {
    const { softDeleteColumn } = this.options
    const softDeleted = softDeleteColumn !== undefined && row[softDeleteColumn] !== null && row[softDeleteColumn] !== undefined
    const keep = matched && !softDeleted
    if (!keep && this.view.versionOf(key) === undefined) {
      // A soft delete of a row not held is remembered, so a late copy of the live row cannot bring it back; a row of
      // another live table's filter (shared poll) is none of this table's business.
      if (matched && softDeleted) this.view.remove(key, version, source)
      return false
    }
    return this.view.put(key, row as R, version, keep, source)
  }

  // --- polling (PollMember) ---------------------------------------------------------------------------------

  /**
   * Shows what the cache holds before the network answers (an app opened offline), with the lastSyncedAt saved
   * with it, so staleness tells how old it is. Needs a cache with entries() (memory, IndexedDB, tiered).
   */
  private async warmStart(): Promise<void> {
    const restored = await this.mirror?.restore()
    if (!restored || this.destroyed) return
    // Saved as wall time; a wall clock now behind it was set back, and the rows' age is unknown: claim nothing.
    if (restored.syncedAt !== undefined && this.lastSyncedAt === undefined) {
      const age = this.wallNow() - restored.syncedAt
      if (age >= 0) this.lastSyncedAt = this.poller.scheduler.now() - age
    }
    for (const entry of restored.rows) {
      if (this.apply(entry.key, entry.value as Row, entry.version, 'cache')) this.warmStarted = true
    }
    this.update()
  }

  private async load(): Promise<void> {
    await this.warmStart()
    for (let attempt = 0; !this.destroyed; attempt++) {
      const startedAt = this.poller.scheduler.now()
      try {
        const watermark = await this.readEverything(this.warmStarted)
        if (this.destroyed) return
        if (this.sync.eventsActive) this.sync.emitEvent({ type: 'poll', table: this.options.table, purpose: 'load', rows: this.view.size, ms: Math.max(0, this.poller.scheduler.now() - startedAt), ok: true })
        this.inspection.read(true)
        this.loaded = true
        this.restHealthy = true
        this.error = undefined
        this.lastSyncedAt = startedAt
        this.lastPolledAt = startedAt
        this.lastWatermark = watermark
        this.poller.join(this, watermark)
        // Planned once the load has shown whether the server reports access changes (it sets the period).
        this.checks?.start()
        this.settleReady.resolve()
        // A load that failed first and succeeded on a retry: `ready` stays rejected (a promise settles once), but the
        // table is ready now, and synchronous readers (Suspense) must see that.
        this.settled.state = 'ready'
        this.settled.error = undefined
        // Realtime went live (or rejoined) while the load was read: what committed in between needs a read too.
        if (this.catchUpAfterPoll !== undefined) this.catchUp()
        else this.update()
        return
      } catch (cause) {
        if (this.destroyed) return
        const error = asPollingError(cause)
        if (this.sync.eventsActive) this.sync.emitEvent({ type: 'poll', table: this.options.table, purpose: 'load', rows: 0, ms: Math.max(0, this.poller.scheduler.now() - startedAt), ok: false })
        this.pollFailed(error)
        // Only an unreachable PostgREST may pass by itself while the app waits (offline start: the cache shows
        // meanwhile). A missing table or column, or a refused key, needs the app or the project fixed: `ready`
        // rejects with the fix now rather than never settling. The table keeps retrying (at pollIntervalMs), so
        // a fix made meanwhile (the table created, a session refreshed) still brings the rows in.
        if (error.code !== 'UNREACHABLE') this.settleReady.reject(error)
        const retryIn = (cause as PollingError).transient === false ? this.options.pollIntervalMs : this.options.retryMs
        await new Promise<void>((resolve) => {
          this.cancelLoadRetry = this.poller.scheduler.after(Math.min(retryIn * 2 ** Math.min(attempt, 3), this.options.pollIntervalMs), resolve)
        })
      }
    }
  }

  /**
   * Reads every row of the filter. With `sweep`, rows of the view that the read did not return and that are older
   * than the read's watermark are removed: their deletion may be older than the server keeps tombstones.
   * Returns the watermark read before the rows (or, without the migration, the newest stamp read).
   */
  private async readEverything(sweep: boolean): Promise<number | undefined> {
    const { primaryKey, cursor, table } = this.options
    const reader = this.poller.reader
    const readStartedAt = this.poller.scheduler.now()
    const window = await reader.watermark()
    const watermark = window?.watermark
    // The rows read now are as the user may read them now; a different access stamp later means a sweep is due.
    this.checks?.noteAccess(window?.access, readStartedAt)
    const seen = sweep ? new Set<string>() : undefined
    const startedAt = this.poller.scheduler.now()
    let newest: number | undefined
    await reader.readAll(this.options.filter, (rows) => {
      if (this.destroyed) return
      for (const row of rows) {
        const key = rowKey(row, primaryKey)
        const version = parseVersion(row[cursor])
        if (key === undefined || version === undefined) {
          throw new PollingError('BAD_ROW', `Loading ${table}: a row has no ${key === undefined ? `primary key (${primaryKey.join(', ')})` : `timestamp in ${cursor}`}. The cursor must be a timestamptz column the server stamps (supasync.touch_updated_at).`)
        }
        newest = newest === undefined ? version : Math.max(newest, version)
        seen?.add(key)
        this.apply(key, row, version, 'load', true)
      }
    })
    // Without the watermark function: the newest stamp read less the load's duration (see SharedPoller.poll).
    const safe = watermark ?? (newest === undefined ? undefined : newest - (this.poller.scheduler.now() - startedAt) * 1000)
    if (seen && safe !== undefined && !this.destroyed) {
      for (const key of [...this.view.keys()]) {
        const version = this.view.versionOf(key)
        if (!seen.has(key) && version !== undefined && version < safe) this.view.remove(key, safe, 'poll')
      }
    }
    return safe
  }

  /**
   * The client reads as another user now: what the view holds was read with the previous user's rights. A key sweep
   * as the new user (at once; freshness claims nothing after this moment until it completes) drops what they may not
   * read and adds what they may; without sweeps the next read is a full reload that drops what it does not return.
   */
  private identityChanged(): void {
    if (this.destroyed) return
    if (this.checks) this.checks.owe()
    else this.needsResync = true
    this.catchUp()
  }

  /** After a gap longer than resyncAfterMs the tombstones of the gap may be pruned: read everything again. */
  private async resync(): Promise<void> {
    if (this.resyncing || this.destroyed) return
    this.resyncing = true
    try {
      await this.readEverything(true)
      this.inspection.read(true)
      this.needsResync = false
    } catch (cause) {
      if (!this.destroyed) this.pollFailed(asPollingError(cause))
    } finally {
      this.resyncing = false
    }
  }

  /** @internal The shared poll's side of the table (PollMember). */
  intervalMs(): number {
    return this.interval
  }

  /** @internal The shared poll's side of the table (PollMember). */
  receiveRows(rows: readonly Row[], watermark: number | undefined, startedAt: number): void {
    if (this.destroyed) return
    const { primaryKey, cursor } = this.options
    // Realtime had a fair chance at rows committed after it went live and well before this poll's watermark.
    const since = this.realtimeSince
    const deadline = watermark === undefined ? undefined : watermark - this.lagMs * 1000
    let missed = 0
    for (const row of rows) {
      const key = rowKey(row, primaryKey)
      const version = parseVersion(row[cursor])
      if (key !== undefined) this.checks?.carry(key)
      if (key === undefined || version === undefined) continue
      // Read before a sweep found the row gone (access revoked): this copy predates that, whatever its version.
      const swept = this.checks?.sweptAt.get(key)
      if (swept !== undefined && startedAt < swept) continue
      if (this.apply(key, row, version, 'poll') && since !== undefined && deadline !== undefined && version > since && version < deadline) missed++
    }
    // Reported once per poll, when it ends (pollSucceeded / pollFailed), with the purpose it had when it began.
    this.pollTally.purpose ??= this.pollPurpose()
    this.pollTally.rows += rows.length
    this.pollTally.missed += missed
    if (missed > 0) {
      // Heartbeats prove the socket, not delivery: realtime lost or delayed changes, so stop claiming it.
      this.counters.missedByRealtime += missed
      this.realtimeSuspectUntil = this.poller.scheduler.now() + 2 * this.options.verifyIntervalMs
      this.update()
    }
  }

  /** @internal The shared poll's side of the table (PollMember). */
  receiveTombstones(records: readonly TombstoneRecord[]): void {
    if (this.destroyed) return
    for (const record of records) {
      const key = rowKey(record.rowKey, this.options.primaryKey)
      if (key !== undefined) this.checks?.carry(key)
      // Also for rows not held: a late realtime copy of a deleted row must not bring it back.
      if (key !== undefined) this.view.remove(key, record.version, 'poll')
    }
  }

  /** @internal The shared poll's side of the table (PollMember). */
  pollSucceeded(startedAt: number, poll: number, watermark?: number, access?: AccessStamp): void {
    if (watermark !== undefined) this.lastWatermark = watermark
    if (this.destroyed) return
    this.emitPoll(startedAt, true)
    this.inspection.read(true)
    if (this.loaded) this.checks?.noteAccess(access, startedAt)
    this.restHealthy = true
    this.error = undefined
    this.lastReported = undefined
    this.lastSyncedAt = Math.max(this.lastSyncedAt ?? startedAt, startedAt)
    if (this.lastPolledAt !== undefined && startedAt - this.lastPolledAt > this.options.resyncAfterMs) this.needsResync = true
    this.lastPolledAt = startedAt
    if (this.needsResync) void this.resync()
    if (this.catchUpAfterPoll !== undefined && poll > this.catchUpAfterPoll) this.catchUpAfterPoll = undefined
    this.update()
  }

  /** @internal The shared poll's side of the table (PollMember). */
  pollFailed(error: PollingError, startedAt?: number): void {
    this.checks?.pollFailed()
    if (this.destroyed) return
    if (startedAt !== undefined) this.emitPoll(startedAt, false)
    this.inspection.read(false)
    if (error.transient) this.restHealthy = false
    this.error = error
    this.report(error)
    this.update()
  }

  /**
   * One `poll` event per poll (sync.onEvent), with the rows it brought, and `missed-by-realtime` when it found some.
   * The initial load reports its own (purpose 'load').
   */
  private emitPoll(startedAt: number, ok: boolean): void {
    const { rows, missed, purpose } = this.pollTally
    this.pollTally.rows = 0
    this.pollTally.missed = 0
    this.pollTally.purpose = undefined
    if (!this.sync.eventsActive) return
    const { table } = this.options
    this.sync.emitEvent({ type: 'poll', table, purpose: purpose ?? this.pollPurpose(), rows, ms: Math.max(0, this.poller.scheduler.now() - startedAt), ok })
    if (missed > 0) this.sync.emitEvent({ type: 'missed-by-realtime', table, count: missed })
  }

  /** Why the table reads now: a catch-up it waits for, a verification in realtime mode, or a poll. */
  private pollPurpose(): 'catch-up' | 'verify' | 'poll' {
    return this.catchUpAfterPoll !== undefined ? 'catch-up' : this.freshnessStore.get().mode === 'realtime' ? 'verify' : 'poll'
  }

  /** @internal The shared poll's side of the table (PollMember). */
  openDigest(since: number): boolean {
    return this.checks?.openDigest(since) ?? false
  }

  /** @internal The shared poll's side of the table (PollMember). */
  receiveDigest(digest: KeyDigest | undefined): void {
    if (this.destroyed) return
    this.checks?.receiveDigest(digest)
  }

  /** @internal The shared poll's side of the table (PollMember). */
  warn(error: PollingError): void {
    this.options.onError(error)
  }

  /** Reads what was committed while changes did not flow; until it completes the mode is 'catching-up'. */
  private catchUp(): void {
    if (this.destroyed) return
    // A poll already running may have read before this moment: only one that starts from now on counts.
    this.catchUpAfterPoll = this.poller.started
    // During the initial load the request waits: load() asks again once the table has joined the poll.
    if (!this.loaded) return
    this.poller.request().catch(() => {}) // failures reach pollFailed
    this.update()
  }

  private wallNow(): number {
    const timers = this.sync.ports.timers
    return timers.wallNow ? timers.wallNow() : timers.now()
  }

  /** Keeps the broadcast room's refusal for freshness while it lasts; reports it once when it begins. */
  private noteRefusal(refusal: PollingError | undefined): void {
    if (refusal?.message === this.realtimeError?.message) return
    this.realtimeError = refusal
    if (refusal) this.report(refusal)
  }

  private report(error: SupasyncError<string>): void {
    if (error.message === this.lastReported) return
    this.lastReported = error.message
    this.options.onError(error)
  }

  // --- freshness ------------------------------------------------------------------------------------------

  private tick(): void {
    const now = this.poller.scheduler.now()
    const slept = this.lastTickAt !== undefined && now - this.lastTickAt > 3 * TICK_MS
    this.lastTickAt = now
    // Timers stood still (a sleeping device or a frozen tab): nothing said so far can be trusted; read first.
    if (slept) this.catchUp()
    // A deletion older than two budgets can no longer race an in-flight read of the same row.
    const horizon = this.poller.scheduler.now() - 2 * this.options.maxStalenessMs
    this.view.pruneTombstones(horizon)
    this.checks?.prune(horizon)
    this.update()
  }

  /** Re-derives mode, freshness and the poll interval; called on every input change and every tick. */
  private update(): void {
    if (this.destroyed) return
    const now = this.poller.scheduler.now()
    const catchingUp = this.catchUpAfterPoll !== undefined
    const connection = this.sync.status.get()
    // This table's own leases (or its room) and the socket prove realtime; another channel of the instance that the
    // server refuses (which keeps sync.status 'degraded') says nothing about this one.
    const pathLive = this.feed ? this.feed.joined : this.leases.length > 0 && this.leases.every((lease) => lease.status.get() === 'live')
    const realtimeProven = pathLive && connection.socketProven && !catchingUp && now >= this.realtimeSuspectUntil
    if (this.feed) this.noteRefusal(this.feed.refusal(this.options.pollIntervalMs))
    const mode = deriveMode({
      online: this.sync.ports.network.isOnline(),
      loaded: this.loaded,
      catchingUp,
      realtimeProven,
      restHealthy: this.restHealthy,
    })
    if (mode === 'realtime') {
      // Realtime delivers, but only a successful read can show that it lost nothing: without one, no newer claim.
      // What it claims is bounded twice: by the last heartbeat reply (whatever the server sent before it has
      // arrived, and a silently dead socket sends nothing) and by lagMs, the delivery delay verification polls hold
      // realtime to (a change older than that and still missing counts as lost). Claiming `now` would be ahead of
      // any change committed a moment ago and still on its way.
      const claim = Math.min(now, connection.heartbeatAt ?? -Infinity) - this.lagMs
      if (this.restHealthy && claim > (this.lastSyncedAt ?? -Infinity)) this.lastSyncedAt = claim
      this.realtimeSince ??= this.lastWatermark
    } else {
      this.realtimeSince = undefined
    }
    // Kept on the port clock (never backward); shown and saved as wall time.
    // While an access change awaits its sweep the view may show rows the user may no longer read: claim nothing
    // after the read that still saw the old access.
    const owedSince = this.checks?.owedSince
    const claimed = this.lastSyncedAt === undefined || owedSince === undefined ? this.lastSyncedAt : Math.min(this.lastSyncedAt, owedSince)
    // Whole milliseconds, rounded to the safe side: an earlier claim, a larger staleness.
    const syncedAtWall = claimed === undefined ? undefined : Math.floor(toWallTime(claimed, now, this.wallNow()))
    this.freshnessStore.set({
      mode,
      lastSyncedAt: syncedAtWall,
      stalenessMs: Math.max(0, Math.ceil(now - (claimed ?? this.createdAt))),
      // A failed read first (it decides the mode); else why realtime is refused, while it is.
      error: this.error ?? this.realtimeError,
    })
    if (syncedAtWall !== undefined) this.mirror?.saveSyncedAt(syncedAtWall)
    const interval = mode === 'realtime' ? this.options.verifyIntervalMs : this.options.pollIntervalMs
    if (interval !== this.interval) {
      this.interval = interval
      if (this.loaded) this.poller.reschedule()
    }
  }
}
