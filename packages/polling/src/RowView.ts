import { createStore, type ReadableStore } from '@supasync/core'

/** What happened to one row of the view, and how it arrived. */
export interface LiveChange<R> {
  key: string
  /** The row now held; undefined when the row left the view (deleted, soft-deleted or no longer matching). */
  row: R | undefined
  /** The version applied (the cursor in µs since the epoch, or the deletion's stamp). */
  version: number
  /** 'cache': restored from the cache at start; 'load': the initial read; 'realtime': a postgres_changes event or a broadcast of the table's topic; 'poll': a catch-up or polling read. */
  source: 'cache' | 'load' | 'realtime' | 'poll'
}

interface Tombstone {
  version: number
  /** A hint (a realtime DELETE, which names no version): only versions older than it are refused, an equal one is let back. */
  weak: boolean
  /** When it was recorded (port clock, ms): tombstones are pruned once no in-flight read can be older. */
  at: number
}

/**
 * The rows of one live table, keyed by primary key, with the version of each row and of each recent deletion.
 * This is where dedupe happens: a write is applied only if its version is newer than everything known for its key
 * (row or tombstone), so a change delivered twice, a poll that re-reads its overlap window, or a slow response
 * carrying an older version can never apply twice or move a row back in time.
 */
export class RowView<R extends object> {
  private readonly current = new Map<string, R>()
  private readonly versions = new Map<string, number>()
  private readonly tombstones = new Map<string, Tombstone>()
  private snapshot: ReadonlyMap<string, R> | undefined
  private notifyScheduled = false
  /** Bumped once per burst of changes; only its subscribers matter, the value is never handed out. */
  private readonly revision = createStore(0)
  /** rows store: get() hands out a copy made at most once per change batch, and only when asked for. */
  readonly rows: ReadableStore<ReadonlyMap<string, R>>

  constructor(
    private readonly now: () => number,
    private readonly onChange: ((change: LiveChange<R>) => void) | undefined,
    /**
     * Called just before a change of `key` takes effect, with the version held until then and the one held after it
     * (undefined: none).
     */
    private readonly beforeChange?: (key: string, version: number | undefined, next: number | undefined) => void,
  ) {
    const view = this
    this.rows = {
      get() {
        view.snapshot ??= new Map(view.current)
        return view.snapshot
      },
      subscribe(listener) {
        return view.revision.subscribe(() => listener(view.rows.get()))
      },
    }
  }

  get size(): number {
    return this.current.size
  }

  get(key: string): R | undefined {
    return this.current.get(key)
  }

  keys(): IterableIterator<string> {
    return this.current.keys()
  }

  versionOf(key: string): number | undefined {
    return this.versions.get(key)
  }

  /** Whether `version` is newer than everything known for `key` (an equal version passes a weak tombstone). */
  private isNewer(key: string, version: number): boolean {
    const row = this.versions.get(key)
    if (row !== undefined && version <= row) return false
    const tombstone = this.tombstones.get(key)
    if (tombstone && (tombstone.weak ? version < tombstone.version : version <= tombstone.version)) return false
    return true
  }

  /**
   * Applies a row version. `keep` false means the row belongs out of the view (soft-deleted, or it no longer
   * matches the filter): its version is still recorded as a tombstone so an older copy cannot bring it back.
   * Returns true when something changed.
   */
  put(key: string, row: R, version: number, keep: boolean, source: LiveChange<R>['source']): boolean {
    if (!this.isNewer(key, version)) return false
    if (!keep) return this.remove(key, version, source)
    this.beforeChange?.(key, this.versions.get(key), version)
    this.tombstones.delete(key)
    this.versions.set(key, version)
    this.current.set(key, row)
    this.changed({ key, row, version, source })
    return true
  }

  /**
   * Applies a deletion stamped `version`; a row version newer than it (a re-insert) survives. `weak`: the deletion's
   * exact stamp is unknown and `version` is the row version it removed (see {@link Tombstone.weak}).
   */
  remove(key: string, version: number, source: LiveChange<R>['source'], weak = false): boolean {
    const row = this.versions.get(key)
    if (row !== undefined && version < row) return false
    const existing = this.tombstones.get(key)
    if (existing && version < existing.version) return false
    if (!existing || existing.version < version || (existing.weak && !weak)) this.tombstones.set(key, { version, weak, at: this.now() })
    if (row !== undefined) this.beforeChange?.(key, row, undefined)
    this.versions.delete(key)
    if (!this.current.delete(key)) return false
    this.changed({ key, row: undefined, version, source })
    return true
  }

  /** Forgets tombstones recorded before `before` (port clock, ms). */
  pruneTombstones(before: number): void {
    for (const [key, tombstone] of this.tombstones) if (tombstone.at < before) this.tombstones.delete(key)
  }

  get tombstoneCount(): number {
    return this.tombstones.size
  }

  private changed(change: LiveChange<R>): void {
    this.snapshot = undefined
    this.onChange?.(change)
    if (this.notifyScheduled) return
    this.notifyScheduled = true
    // One notification per burst (a 1,000-row page, a flurry of realtime events): subscribers re-read once.
    queueMicrotask(() => {
      this.notifyScheduled = false
      this.revision.set(this.revision.get() + 1)
    })
  }
}
