// What a periodic key check costs the client (issue #16): the live table compares the poll's key digest with its
// view as of the poll's snapshot. With the kept digest (KeyDigestIndex, updated as the view changes) a check costs
// the keys changed since the last one; hashing every key is the fallback (a cursor that moved back). Measured on a
// 100,000-row view of uuid keys, 100 of them changed between checks, next to a full scan in the same run.
import { DigestWindow, KeyDigestIndex } from '../../packages/polling/src/KeyDigest.js'
import { runAlone } from './runAlone.js'
import { exposeGc, round, summarize, type Figure } from './stats.js'

const SUITE = 'digest'
const ROWS = 100_000
const CHANGED = 100
const CHECKS = 200

export async function benchKeyDigest(): Promise<Figure[]> {
  const versions = new Map<string, number>()
  const index = new KeyDigestIndex()
  const view = { keys: () => versions.keys(), versionOf: (key: string) => versions.get(key) }
  const put = (key: string, version: number) => {
    index.changed(key, versions.get(key), version)
    versions.set(key, version)
  }
  let clock = 1_000_000
  const keys = Array.from({ length: ROWS }, () => crypto.randomUUID())
  for (const key of keys) versions.set(key, clock++)
  // The index as a live table feeds it from its load: every key goes through changed(); all are "recent" until the
  // first check moves the horizon past them.
  // A heap figure needs a collection before each reading.
  const gc = exposeGc()
  const heap = () => {
    gc()
    return process.memoryUsage().heapUsed
  }
  const heapBefore = heap()
  for (const [key, version] of versions) index.changed(key, undefined, version)
  index.prune(clock)
  const heapAfter = heap()

  const kept: number[] = []
  const scanned: number[] = []
  let mismatches = 0
  for (let check = 0; check < CHECKS; check++) {
    // Between two checks: CHANGED rows updated, the poll's cursor just before them.
    const since = clock
    for (let i = 0; i < CHANGED; i++) put(keys[(check * CHANGED + i * 997) % ROWS]!, ++clock)
    const window = new DigestWindow(since)
    let started = performance.now()
    const fast = window.digestOf(view, index)
    kept.push(performance.now() - started)
    if (check % 20 === 0) {
      started = performance.now()
      const slow = window.scan(view)
      scanned.push(performance.now() - started)
      if (fast.n !== slow.n || fast.a !== slow.a || fast.b !== slow.b) mismatches++
    }
    index.prune(since)
  }
  if (mismatches > 0) throw new Error(`digest bench: the kept digest differed from the full scan ${mismatches} times`)
  const fast = summarize(kept)
  const slow = summarize(scanned)
  return [
    {
      suite: SUITE,
      name: `Client time per key check, kept digest, ${ROWS.toLocaleString('en')} rows, ${CHANGED} changed since the last check`,
      value: round(fast.p50),
      unit: 'ms',
      details: { p99: round(fast.p99), max: round(fast.max), checks: CHECKS },
    },
    {
      suite: SUITE,
      name: `Client time per key check, hashing every key (the fallback), ${ROWS.toLocaleString('en')} rows`,
      value: round(slow.p50, 1),
      unit: 'ms',
      details: { p99: round(slow.p99, 1), checks: scanned.length, ratioToKept: round(slow.p50 / Math.max(fast.p50, 1e-6), 0) },
    },
    {
      suite: SUITE,
      name: `Heap of the kept digest of a ${ROWS.toLocaleString('en')}-row view after its first check, per row`,
      value: round(Math.max(0, heapAfter - heapBefore) / ROWS, 1),
      unit: 'B',
      details: { note: 'until the first check every loaded key counts as recent (a Map entry each); after it only keys changed since the last check are kept' },
    },
  ]
}

// Run alone: npx tsx test/bench/keyDigest.bench.ts
runAlone(import.meta.url, benchKeyDigest)
