import type { RestReader, Row } from './RestReader.js'
import type { LiveFilter } from './rowFilter.js'
import { rowKey } from './rowKey.js'

/** What a sweep needs from its live table. */
export interface SweepTarget {
  readonly filter: LiveFilter
  readonly primaryKey: readonly string[]
  readonly pageSize: number
  /** Keys the view holds now. */
  heldKeys(): Iterable<string>
  has(key: string): boolean
  /**
   * The row left the filter or the user's visibility: remove it from the view (and so from the cache).
   * `sweepStartedAt`: when this sweep began (its clock); reads begun before then may still carry the row.
   */
  drop(key: string, sweepStartedAt: number): void
  /** A row the user may read now that the view lacks (access granted without a write): apply it. */
  adopt(row: Row): void
}

/** Counters of the sweeps, for stats() and the benchmark. */
export interface SweepCounts {
  sweeps: number
  /** Key pages and by-key row reads sent, in total. */
  requests: number
  /** Rows dropped because a sweep no longer found them (access revoked, moved out of the filter). */
  dropped: number
  /** Rows read because a sweep found a key the view lacked (access granted). */
  adopted: number
  /** Time spent in completed sweeps, in ms (port clock): its requests and the comparison. */
  totalMs: number
  /** Periodic checks that rode on a poll as a key digest (no request of their own). */
  digestChecks: number
  /** Of those, digests that differed from the view (each followed by a sweep). */
  digestMismatches: number
}

/**
 * Periodic key-only read of a live table's filter, in key order, compared with the view. Delta polls see only rows
 * that were written: a row the user may no longer read because a *membership* changed (RLS: removed from the
 * project) was not written, and neither was one the user may now read. The sweep notices both.
 *
 * A key the view holds and the sweep did not return is dropped, unless the view changed that key while the sweep ran
 * (a row inserted behind the pages already read, or updated meanwhile): its absence may predate that change.
 */
export class KeySweep {
  readonly counts: SweepCounts = { sweeps: 0, requests: 0, dropped: 0, adopted: 0, totalMs: 0, digestChecks: 0, digestMismatches: 0 }
  private touched: Set<string> | undefined
  private cancelled = false

  constructor(
    private readonly reader: RestReader,
    private readonly target: SweepTarget,
    private readonly now: () => number,
  ) {}

  /** The view changed `key` (any source): a sweep running now must not judge it. */
  touch(key: string): void {
    this.touched?.add(key)
  }

  /** Stops a sweep in flight from changing the view (its table is being destroyed). */
  cancel(): void {
    this.cancelled = true
  }

  /**
   * One sweep; rejects with the read's PollingError. Nothing is dropped unless every key page was read; rows found
   * to be granted are read after the drops, in batches, and a failed batch only delays those rows to the next sweep.
   */
  async run(): Promise<void> {
    if (this.touched || this.cancelled) return
    const touched = (this.touched = new Set())
    const startedAt = this.now()
    try {
      const seen = new Set<string>()
      const missing: Row[] = []
      await this.reader.readKeys(this.target.filter, (keys) => {
        this.counts.requests++
        for (const keyRow of keys) {
          const key = rowKey(keyRow, this.target.primaryKey)
          if (key === undefined) continue
          seen.add(key)
          if (!this.target.has(key)) missing.push(keyRow)
        }
      })
      if (this.cancelled) return
      for (const key of [...this.target.heldKeys()]) {
        if (seen.has(key) || touched.has(key)) continue
        this.target.drop(key, startedAt)
        this.counts.dropped++
      }
      for (const batch of this.reader.keyBatches(missing)) {
        this.counts.requests++
        const rows = await this.reader.readByKeys(batch)
        if (this.cancelled) return
        for (const row of rows) {
          const key = rowKey(row, this.target.primaryKey)
          if (key === undefined || touched.has(key) || this.target.has(key)) continue
          this.target.adopt(row)
          this.counts.adopted++
        }
      }
      this.counts.sweeps++
      this.counts.totalMs += this.now() - startedAt
    } finally {
      this.touched = undefined
    }
  }
}
