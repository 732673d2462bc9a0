import { md5Lanes } from './md5Lanes.js'

/**
 * A summary of a set of row keys, as public.supasync_poll() computes it for `digest_filters`: how many keys, and the
 * sums modulo 2^32 of the first and of the second 32-bit word of md5(key). Order does not matter, so the server
 * sums rows as it reads them and the client sums its view without sorting. Equal sets give equal digests; two sets
 * that differ give equal ones by accident with a chance of about 2^-64.
 */
export interface KeyDigest {
  /** Number of keys. */
  n: number
  a: number
  b: number
}

const MODULUS = 4294967296

/** The digest of no keys. */
export function emptyDigest(): KeyDigest {
  return { n: 0, a: 0, b: 0 }
}

/** Adds `key` (a view key, see rowKey) to `digest` in place. */
export function addKey(digest: KeyDigest, key: string): void {
  const [a, b] = md5Lanes(key)
  digest.n++
  digest.a = (digest.a + a) % MODULUS
  digest.b = (digest.b + b) % MODULUS
}

/** Takes `key` out of `digest` in place (it must have been added). */
export function removeKey(digest: KeyDigest, key: string): void {
  const [a, b] = md5Lanes(key)
  digest.n--
  digest.a = (digest.a - a + MODULUS) % MODULUS
  digest.b = (digest.b - b + MODULUS) % MODULUS
}

export function sameDigest(x: KeyDigest, y: KeyDigest): boolean {
  return x.n === y.n && x.a === y.a && x.b === y.b
}

/** A digest as the server sent it, or undefined when it is not one (an unexpected answer). */
export function parseDigest(value: unknown): KeyDigest | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const { n, a, b } = value as Record<string, unknown>
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0
  if (!ok(n) || !ok(a) || !ok(b) || a >= MODULUS || b >= MODULUS) return undefined
  return { n, a, b }
}

/** What a digest window reads of the view. */
export interface DigestView {
  keys(): Iterable<string>
  versionOf(key: string): number | undefined
}

/**
 * The digest of a view kept up to date as it changes, so that a check costs the keys changed lately rather than one
 * md5 per row (100,000 rows: about 80 ms of a desktop's main thread, several times that on a phone). It holds the
 * digest of every key held, and the keys held at a version at or above a horizon; a digest of the keys older than
 * `since` is the total less those. The horizon moves up to each checked `since` (polls' cursors only grow, but for
 * a table joining with an older load): a `since` below it needs a full scan.
 */
export class KeyDigestIndex {
  private readonly total = emptyDigest()
  private readonly recent = new Map<string, number>()
  private horizon = -Infinity

  /** The view changed `key` from version `previous` to `next` (undefined: not held). */
  changed(key: string, previous: number | undefined, next: number | undefined): void {
    if (previous === undefined && next !== undefined) addKey(this.total, key)
    else if (previous !== undefined && next === undefined) removeKey(this.total, key)
    if (next !== undefined && next >= this.horizon) this.recent.set(key, next)
    else this.recent.delete(key)
  }

  /** The digest of the keys held at a version older than `since`; undefined when only a full scan can tell. */
  below(since: number): KeyDigest | undefined {
    if (since < this.horizon) return undefined
    const digest = { ...this.total }
    for (const [key, version] of this.recent) if (version >= since) removeKey(digest, key)
    return digest
  }

  /** Later digests ask for `since` or later: keys older than it need no tracking. */
  prune(since: number): void {
    if (since <= this.horizon) return
    this.horizon = since
    for (const [key, version] of this.recent) if (version < since) this.recent.delete(key)
  }

  /** Keys tracked as recent (for tests and diagnostics). */
  get recentKeys(): number {
    return this.recent.size
  }
}

/**
 * The view as the server saw it, for one poll that asked for a digest. The server sums the keys of the rows whose
 * cursor is older than the poll's `since`, at the snapshot of the poll's rows. The client sums the same: the keys
 * it holds at a version older than `since`, leaving out the keys that poll carried (rows or tombstones: changed
 * since `since`, so left out by the server too), and taking for every key the view changed while the poll ran the
 * version it had before (a realtime event may have committed after the snapshot). When both agree the view holds
 * exactly the rows the user may read; when not, a key sweep finds out which differ.
 */
export class DigestWindow {
  /** Keys the view changed while the poll ran → their version before the first such change (undefined: absent). */
  private readonly before = new Map<string, number | undefined>()
  /** Keys of the rows and tombstones the poll carried. */
  private readonly carried = new Set<string>()

  /** `since`: the poll's cursor in µs (rows at or after it are in its answer). */
  constructor(readonly since: number) {}

  /** The view is about to change `key`, which it holds at `version` (undefined: not held). */
  touch(key: string, version: number | undefined): void {
    if (!this.before.has(key)) this.before.set(key, version)
  }

  /** The poll carried `key` (a changed row, any filter, or a tombstone). */
  carry(key: string): void {
    this.carried.add(key)
  }

  /**
   * The digest of `view` as of the poll's snapshot (see the class comment): from `index` where it can tell (the keys
   * this window saw change are then set right one by one), else by hashing every key.
   */
  digestOf(view: DigestView, index?: KeyDigestIndex): KeyDigest {
    const base = index?.below(this.since)
    if (base) return this.adjust(base, view)
    return this.scan(view)
  }

  /** `digest` of the view as it is now, set right for the keys the poll carried or that changed while it ran. */
  private adjust(digest: KeyDigest, view: DigestView): KeyDigest {
    const { since, before, carried } = this
    const fix = (key: string) => {
      const current = view.versionOf(key)
      const counted = current !== undefined && current < since
      let wanted: boolean
      if (carried.has(key)) wanted = false
      else if (before.has(key)) {
        const earlier = before.get(key)
        wanted = earlier !== undefined && earlier < since
      } else wanted = counted
      if (counted && !wanted) removeKey(digest, key)
      else if (!counted && wanted) addKey(digest, key)
    }
    for (const key of before.keys()) fix(key)
    for (const key of carried) if (!before.has(key)) fix(key)
    return digest
  }

  /** The same by hashing every key of the view. */
  scan(view: DigestView): KeyDigest {
    const digest = emptyDigest()
    const { since, before, carried } = this
    for (const key of view.keys()) {
      if (carried.has(key)) continue
      const version = before.has(key) ? before.get(key) : view.versionOf(key)
      if (version !== undefined && version < since) addKey(digest, key)
    }
    // Keys the view dropped while the poll ran: held before it, so the server may have them.
    for (const [key, version] of before) {
      if (version === undefined || carried.has(key) || view.versionOf(key) !== undefined) continue
      if (version < since) addKey(digest, key)
    }
    return digest
  }
}
