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

  /** The digest of `view` as of the poll's snapshot (see the class comment). */
  digestOf(view: DigestView): KeyDigest {
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
