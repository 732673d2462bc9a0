import { PollingError } from './errors.js'
import { DigestWindow, KeyDigestIndex, sameDigest, type DigestView, type KeyDigest } from './KeyDigest.js'
import type { SweepCounts } from './KeySweep.js'
import type { RestReader } from './RestReader.js'
import type { SweepSchedule } from './SweepSchedule.js'

/** Mismatches in a row whose key sweeps changed nothing before digests are given up for a table. */
const FUTILE_MISMATCHES = 3

/** What a digest check needs from its live table. */
export interface DigestCheckTarget {
  readonly table: string
  readonly reader: RestReader
  readonly view: DigestView
  readonly counts: SweepCounts
  now(): number
  /** Whether the table can take part now (loaded, not destroyed, no sweep running). */
  ready(): boolean
  warn(error: PollingError): void
}

/**
 * A live table's periodic key check riding on a poll (see {@link KeyDigest}): the poll's answer carries the digest
 * of the table's filter, the table compares it with its view, and only a difference costs a key sweep. Where the
 * keys' JSON form is not the text Postgres hashes (numeric keys with trailing zeros, bigints beyond 2^53) digests
 * never match; after {@link FUTILE_MISMATCHES} mismatches whose sweeps changed nothing, the table gives digests up
 * and says so once.
 */
export class DigestCheck {
  private window: DigestWindow | undefined
  /** The view's digest, kept as it changes: a check then costs the keys changed lately, not one md5 per row. */
  private readonly index = new KeyDigestIndex()
  private startedAt = 0
  private givenUp = false
  private futile = 0
  /** Sweep counters when a mismatch asked for a sweep; undefined when the last sweep was not asked by one. */
  private beforeSweep: { dropped: number; adopted: number } | undefined
  schedule: SweepSchedule | undefined

  constructor(private readonly target: DigestCheckTarget) {}

  /** Whether periodic checks can ride on polls: the server's poll function takes digests, and they work here. */
  get usable(): boolean {
    const { reader } = this.target
    return !this.givenUp && reader.watermarkSupported && reader.rpc.unusable === undefined && reader.rpc.digestsSupported
  }

  /** A poll reading from `since` (µs) starts: whether it should carry this table's digest (see PollMember.openDigest). */
  open(since: number): boolean {
    if (!this.usable || !this.target.ready() || !this.schedule?.wantsDigest()) return false
    this.window = new DigestWindow(since)
    this.startedAt = this.target.now()
    this.schedule.digestCarried()
    return true
  }

  /** The view is about to change `key` from `version` to `next` (undefined: not held). */
  touch(key: string, version: number | undefined, next: number | undefined): void {
    if (this.givenUp) return
    this.index.changed(key, version, next)
    this.window?.touch(key, version)
  }

  /** The running poll carried `key`. */
  carry(key: string): void {
    this.window?.carry(key)
  }

  /** The poll's digest (undefined: it could not compute one). */
  receive(digest: KeyDigest | undefined): void {
    const window = this.window
    this.window = undefined
    const schedule = this.schedule
    if (!window || !schedule) return
    if (digest === undefined) return schedule.digestUnanswered()
    const same = sameDigest(window.digestOf(this.target.view, this.index), digest)
    this.index.prune(window.since)
    const { counts } = this.target
    counts.digestChecks++
    if (!same) {
      counts.digestMismatches++
      this.beforeSweep = { dropped: counts.dropped, adopted: counts.adopted }
    } else {
      this.futile = 0
    }
    schedule.digestAnswered(same, this.target.now() - this.startedAt)
  }

  /** The poll failed or the table is going: the check waits for the next poll. */
  abandon(): void {
    if (this.window) this.schedule?.digestLost()
    this.window = undefined
  }

  /** A key sweep completed: one that a mismatch asked for and that changed nothing counts against digests. */
  sweepCompleted(): void {
    const before = this.beforeSweep
    this.beforeSweep = undefined
    if (!before) return
    const { counts } = this.target
    if (counts.dropped !== before.dropped || counts.adopted !== before.adopted) {
      this.futile = 0
      return
    }
    if (++this.futile < FUTILE_MISMATCHES || this.givenUp) return
    this.givenUp = true
    this.target.warn(new PollingError('BAD_ROW', `The key digests of ${this.target.table} differed from the live table's rows ${FUTILE_MISMATCHES} times in a row, and each key sweep that followed found nothing to change: its primary key's JSON form is not the text Postgres hashes (a numeric key with trailing zeros, a bigint beyond 2^53), or the filter matches rows on the server that the table does not keep (a column the server compares without case, e.g. citext). Periodic checks now read the keys (ceil(rows / pageSize) requests each). Use an integer, text or uuid primary key, and filter on columns compared exactly, to check them for free.`))
  }
}
