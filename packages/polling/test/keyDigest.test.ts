/**
 * Periodic key checks riding on polls (issue #16: requests per client per minute in realtime mode ≤ 4): the poll
 * function's key digests, the client's md5, the digest of the view as of the poll's snapshot, and the live table's
 * use of them: no request of their own while nothing changed, a key sweep when the digest differs (access revoked
 * or granted without a write, a row moved out of reach by a write realtime did not deliver), no false alarms while
 * realtime changes rows under a poll in flight, and the fallbacks. Fakes only; the SQL side is in pollRpc.test.ts.
 */
import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import type { ConnectionState, SupasyncError } from '@supasync/core'
import { createLiveTable } from '../src/createLiveTable.js'
import { DigestWindow, KeyDigestIndex, addKey, emptyDigest, parseDigest, sameDigest } from '../src/KeyDigest.js'
import type { LiveTable } from '../src/LiveTable.js'
import { md5Lanes } from '../src/md5Lanes.js'
import type { LiveTableOptions } from '../src/options.js'
import { fakeSync, FakeServer, loadThenGoLive, manualClock, payload, pgts, run, type RecordedRequest } from './fakes.js'

type Comp = { id: number; project_id: number; tag: string; updated_at: string; deleted_at?: string | null }
const T0 = Date.UTC(2026, 11, 4, 10, 0, 0)
const T0us = T0 * 1000
const opened: LiveTable<Comp>[] = []
afterEach(() => {
  for (const live of opened.splice(0)) live.destroy()
})

function world(state: ConnectionState = 'live') {
  const clock = manualClock(T0)
  const server = new FakeServer(clock)
  server.rows = [1, 2, 3, 4, 5, 6].map((id) => ({ id, project_id: id % 2 === 1 ? 1 : 2, tag: `C-${id}`, deleted_at: null, updated_at: pgts(T0us - 60_000_000 + id) }))
  const hidden = new Set<number>()
  server.visible = (row) => !hidden.has(Number(row.id))
  const fake = fakeSync(clock, state)
  const errors: SupasyncError<string>[] = []
  const open = (options: Partial<LiveTableOptions<Comp>> = {}) => {
    const live = createLiveTable<Comp>(fake.sync, { supabase: server.host, table: 'components', filter: { project_id: 1 }, softDeleteColumn: 'deleted_at', maxStalenessMs: 3000, sweepIntervalMs: undefined, onError: (error) => errors.push(error), ...options })
    opened.push(live)
    return live
  }
  return { clock, server, fake, errors, open, hidden }
}

/** Loads, makes the lease live and lets the catch-up poll complete: verification polls every 1.5 s from then on. */
async function toRealtime(w: ReturnType<typeof world>, live: LiveTable<Comp>): Promise<void> {
  await loadThenGoLive(w.clock, w.fake, live)
  expect(live.freshness.get().mode).toBe('realtime')
}

const keyReads = (requests: readonly RecordedRequest[]) => requests.filter((request) => request.kind === 'select' && request.columns === 'id')
const digestAsked = (request: RecordedRequest) => request.kind === 'rpc' && request.name === 'supasync_poll' && request.args !== undefined && 'digest_filters' in request.args
const ids = (live: LiveTable<Comp>) => [...live.rows.get().keys()].map(Number).sort((a, b) => a - b)

describe('md5Lanes', () => {
  it("equals the first two words of node's md5 for 2,000 random strings (ASCII, 2-, 3- and 4-byte UTF-8, block edges)", () => {
    // A deterministic generator: the same strings on every run.
    let seed = 42
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    const alphabet = ['a', 'Z', '0', '-', '"', '\\', 'é', 'ß', '中', '€', '😀', '𝄞', '\n', ' ']
    const lengths = [0, 1, 2, 36, 54, 55, 56, 57, 63, 64, 65, 119, 120, 200]
    for (let i = 0; i < 2000; i++) {
      const length = i < lengths.length ? lengths[i]! : next() % 150
      let text = ''
      while (text.length < length) text += alphabet[next() % alphabet.length]
      const hex = createHash('md5').update(text, 'utf8').digest('hex')
      expect(md5Lanes(text), JSON.stringify(text)).toEqual([parseInt(hex.slice(0, 8), 16), parseInt(hex.slice(8, 16), 16)])
    }
  })
})

describe('key digests', () => {
  it('do not depend on order, differ when a key differs, and parse only what the server sends', () => {
    const one = emptyDigest()
    const two = emptyDigest()
    for (const key of ['1', '2', '3']) addKey(one, key)
    for (const key of ['3', '1', '2']) addKey(two, key)
    expect(sameDigest(one, two)).toBe(true)
    const other = emptyDigest()
    for (const key of ['1', '2', '4']) addKey(other, key)
    expect(sameDigest(one, other)).toBe(false)
    expect(parseDigest({ n: 3, a: one.a, b: one.b })).toEqual(one)
    for (const bad of [null, 'x', { n: 1, a: 1 }, { n: -1, a: 0, b: 0 }, { n: 1, a: 2 ** 32, b: 0 }, { n: 1.5, a: 0, b: 0 }]) expect(parseDigest(bad)).toBeUndefined()
  })

  it('of the view as of the snapshot: keys changed while the poll ran count at their earlier version, keys it carried not at all', () => {
    const versions = new Map<string, number>([['1', 10], ['2', 20], ['3', 30], ['4', 150]])
    const view = { keys: () => versions.keys(), versionOf: (key: string) => versions.get(key) }
    const window = new DigestWindow(100)
    // While the poll ran: realtime updated 2 (was 20), inserted 5, deleted 3 (was 30); the poll carried 4 and 1.
    window.touch('2', 20)
    versions.set('2', 120)
    window.touch('5', undefined)
    versions.set('5', 130)
    window.touch('3', 30)
    versions.delete('3')
    window.carry('4')
    window.carry('1')
    const expected = emptyDigest()
    for (const key of ['2', '3']) addKey(expected, key)
    expect(window.digestOf(view)).toEqual(expected)
  })
})

describe('the kept digest (KeyDigestIndex)', () => {
  it('gives what hashing every key gives, through 200 windows of random puts, removals, carried keys and backward cursors', () => {
    let seed = 7
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
    const versions = new Map<string, number>()
    const view = { keys: () => versions.keys(), versionOf: (key: string) => versions.get(key) }
    const index = new KeyDigestIndex()
    let window: DigestWindow | undefined
    const put = (key: string, version: number | undefined) => {
      const previous = versions.get(key)
      index.changed(key, previous, version)
      window?.touch(key, previous)
      if (version === undefined) versions.delete(key)
      else versions.set(key, version)
    }
    let clock = 1000
    let fromIndex = 0
    for (let round = 0; round < 200; round++) {
      // A cursor a little behind the clock; now and then far behind (a table joining with an older load).
      const since = next(10) === 0 ? clock - 900 : clock - next(60)
      window = new DigestWindow(since)
      for (let op = 0; op < 40; op++) {
        const key = String(next(120))
        const kind = next(10)
        clock += next(3)
        if (kind < 6) put(key, clock)
        else if (kind < 8) put(key, undefined)
        else window.carry(key)
      }
      const scanned = window.scan(view)
      const kept = window.digestOf(view, index)
      expect(kept, `round ${round}`).toEqual(scanned)
      if (index.below(since)) fromIndex++
      index.prune(since)
      window = undefined
    }
    // Most checks used the kept digest (the others had a cursor below the horizon), and only recent keys are tracked.
    expect(fromIndex).toBeGreaterThan(150)
    expect(index.recentKeys).toBeLessThan(versions.size)
  })
})

describe('LiveTable: periodic key checks ride on polls', () => {
  it('cost no request of their own in realtime mode: one request per verification poll, and every check a digest', async () => {
    const w = world()
    const live = w.open()
    await toRealtime(w, live)
    const from = w.server.requests.length
    await run(w.clock, 60_000)
    const made = w.server.requests.slice(from)
    // 60 s at verifyIntervalMs 1.5 s: 40 polls, each one call of the function, and nothing else.
    expect(made.length).toBeGreaterThanOrEqual(39)
    expect(made.length).toBeLessThanOrEqual(41)
    expect(made.every((request) => request.kind === 'rpc' && request.name === 'supasync_poll')).toBe(true)
    const sweep = live.stats().sweep
    // A check every budget / 2 (1.5 s), asked of the poll before it is due.
    expect(sweep.digestChecks).toBeGreaterThanOrEqual(35)
    expect(sweep).toMatchObject({ sweeps: 0, requests: 0, digestMismatches: 0 })
    expect(live.freshness.get().mode).toBe('realtime')
  })

  it('drop rows the user may no longer read (no write) within the budget, with one key sweep, and add rows granted later', async () => {
    const w = world()
    const live = w.open()
    await toRealtime(w, live)
    await run(w.clock, 5000)
    expect(ids(live)).toEqual([1, 3, 5])
    w.hidden.add(3)
    const from = w.server.requests.length
    await run(w.clock, 3000)
    expect(ids(live)).toEqual([1, 5])
    expect(keyReads(w.server.requests.slice(from)).length).toBeGreaterThanOrEqual(1)
    expect(live.stats().sweep).toMatchObject({ sweeps: 1, dropped: 1, adopted: 0, digestMismatches: 1 })
    w.hidden.delete(3)
    await run(w.clock, 3000)
    expect(ids(live)).toEqual([1, 3, 5])
    expect(live.stats().sweep).toMatchObject({ sweeps: 2, dropped: 1, adopted: 1, digestMismatches: 2 })
    // Quiet again: checks go on without sweeps.
    const quiet = w.server.requests.length
    await run(w.clock, 10_000)
    expect(keyReads(w.server.requests.slice(quiet))).toEqual([])
    expect(live.stats().sweep.sweeps).toBe(2)
  })

  it('drop a row moved out of the user\'s reach by a write that realtime did not deliver (RLS hid the event)', async () => {
    const w = world()
    const live = w.open()
    await toRealtime(w, live)
    await run(w.clock, 5000)
    // Row 5 is given to a project the user is not in: the update is invisible to them, so no poll carries it.
    w.server.write({ id: 5, project_id: 1, tag: 'moved' })
    w.hidden.add(5)
    await run(w.clock, 3000)
    expect(live.get(5)).toBeUndefined()
    expect(live.stats().sweep).toMatchObject({ dropped: 1 })
  })

  it('drop the old key of a row whose primary key was updated (no DELETE trigger fires, so no tombstone)', async () => {
    const w = world()
    const live = w.open()
    await toRealtime(w, live)
    await run(w.clock, 5000)
    const row = w.server.rows.find((candidate) => candidate.id === 3)!
    row.id = 33 // UPDATE components SET id = 33 WHERE id = 3: the row keeps its place, stamped anew below
    w.server.write({ id: 33, tag: 'renumbered' })
    await run(w.clock, 3000)
    expect(live.get(3)).toBeUndefined()
    expect(live.get(33)).toMatchObject({ tag: 'renumbered' })
    expect(live.stats().sweep).toMatchObject({ dropped: 1 })
  })

  it('do not mistake realtime changes that arrive while a poll is in flight for a difference (hot rows, inserts, deletes)', async () => {
    const w = world()
    // Rows 7–12 in project 1 too, quiet for a minute: each poll sees them older than its cursor.
    for (let id = 7; id <= 12; id++) w.server.rows.push({ id, project_id: 1, tag: `C-${id}`, deleted_at: null, updated_at: pgts(T0us - 60_000_000 + id) })
    const live = w.open()
    await toRealtime(w, live)
    let next = 100
    let turn = 0
    // Every poll answers from its snapshot 50 ms later (checks are spaced to 20 × a poll's duration: 1 s, under the
    // 1.5 s interval); 20 ms in, realtime delivers a change committed after the snapshot: an update of a quiet row, an
    // insert, or a delete, in turn.
    w.server.intercept = (request) => {
      if (request.kind !== 'rpc' || request.name !== 'supasync_poll') return undefined
      const answer = w.server.answer(request)
      w.clock.setTimeout(() => {
        const lease = w.fake.leases[0]!
        const kind = turn++ % 3
        if (kind === 0) {
          const id = 7 + (turn % 6)
          const row = w.server.rows.find((candidate) => candidate.id === id)
          if (row) {
            const stored = w.server.write({ ...row, tag: `hot-${turn}` })
            lease.deliver(payload('UPDATE', stored, w.clock.now() * 1000))
          }
        } else if (kind === 1) {
          const stored = w.server.write({ id: next++, project_id: 1, tag: 'new', deleted_at: null })
          lease.deliver(payload('INSERT', stored, w.clock.now() * 1000))
        } else {
          const victim = w.server.rows.find((candidate) => Number(candidate.id) >= 100 || Number(candidate.id) === 9)
          if (victim) {
            w.server.remove(Number(victim.id))
            lease.deliver(payload('DELETE', { id: victim.id }, w.clock.now() * 1000))
          }
        }
      }, 20)
      return new Promise((resolve) => w.clock.setTimeout(() => resolve(answer), 50))
    }
    await run(w.clock, 30_000)
    const sweep = live.stats().sweep
    expect(turn).toBeGreaterThanOrEqual(15)
    expect(sweep.digestChecks).toBeGreaterThanOrEqual(10)
    expect(sweep.digestMismatches).toBe(0)
    expect(sweep.sweeps).toBe(0)
    // And the view is exactly the server's.
    const expected = w.server.rows.filter((row) => row.project_id === 1).map((row) => Number(row.id)).sort((a, b) => a - b)
    expect(ids(live)).toEqual(expected)
  })

  it('read the keys at every check where the function takes no digests (an older migration), with one warning', async () => {
    const w = world()
    w.server.digestFunction = false
    const live = w.open()
    await toRealtime(w, live)
    const from = w.server.requests.length
    await run(w.clock, 15_000)
    const made = w.server.requests.slice(from)
    // Polls stay one request each; periodic checks read the keys (one page each here).
    // Only the first poll asked (the server said no such function, and it was asked again without).
    expect(w.server.requests.filter(digestAsked)).toHaveLength(1)
    expect(keyReads(made).length).toBeGreaterThanOrEqual(4)
    expect(live.stats().sweep.digestChecks).toBe(0)
    expect(w.errors.filter((error) => /digest_filters/.test(error.message)).map((error) => error.code)).toEqual(['MISSING_MIGRATION'])
    // Checks still work: a revocation is found by the next sweep.
    w.hidden.add(1)
    await run(w.clock, 3000)
    expect(live.get(1)).toBeUndefined()
  })

  it('give digests up, once and with a warning, after three mismatches whose sweeps found nothing (keys hashed differently)', async () => {
    const w = world()
    // A server whose key text differs from the client's (as a numeric key with trailing zeros would): never equal.
    w.server.intercept = (request) => {
      if (request.kind !== 'rpc' || request.name !== 'supasync_poll') return undefined
      const answer = w.server.answer(request)
      const data = answer.data as { digests: { n: number; a: number; b: number }[] | null }
      return { ...answer, data: { ...data, digests: data.digests?.map((digest) => ({ ...digest, a: (digest.a + 1) % 2 ** 32 })) ?? null } }
    }
    const live = w.open()
    await toRealtime(w, live)
    await run(w.clock, 20_000)
    const sweep = live.stats().sweep
    expect(sweep.digestMismatches).toBe(3)
    expect(sweep.dropped + sweep.adopted).toBe(0)
    expect(w.errors.filter((error) => error.code === 'BAD_ROW').map((error) => error.message)).toEqual([expect.stringMatching(/key digests of public\.components differed .* 3 times .* read the keys/)])
    // From then on polls ask for no digest, and checks read the keys.
    const from = w.server.requests.length
    await run(w.clock, 6000)
    expect(w.server.requests.slice(from).filter(digestAsked)).toEqual([])
    expect(keyReads(w.server.requests.slice(from)).length).toBeGreaterThanOrEqual(2)
  })

  it('a poll that fails with a digest asked leaves nothing behind: the next poll carries it, and destroy() mid-poll throws nothing', async () => {
    const w = world()
    const live = w.open()
    await toRealtime(w, live)
    let failNext = true
    w.server.intercept = (request) => {
      if (!digestAsked(request) || !failNext) return undefined
      failNext = false
      return { data: null, error: { message: 'busy' }, status: 503 }
    }
    await run(w.clock, 6000)
    expect(failNext).toBe(false)
    expect(live.stats().sweep.digestChecks).toBeGreaterThanOrEqual(2)
    expect(live.stats().sweep.sweeps).toBe(0)
    // A poll held in flight with a digest asked, then the table destroyed.
    let held = false
    w.server.intercept = (request) => {
      if (!digestAsked(request)) return undefined
      held = true
      return 'hang'
    }
    await run(w.clock, 2000)
    expect(held).toBe(true)
    live.destroy()
    await run(w.clock, 5000)
    expect(w.clock.pending).toBe(0)
  })
})

describe('LiveTable: access changes with digests', () => {
  it('a reported access change (supasync.track_access) sweeps the keys at the poll that reads it, once, with a digest asked or not', async () => {
    const w = world()
    let user: number | null = null
    w.server.access = () => ({ sub: 'u1', user })
    const live = w.open({ maxStalenessMs: 30_000 })
    await toRealtime(w, live)
    await run(w.clock, 20_000)
    expect(live.stats().sweep).toMatchObject({ sweeps: 0 })
    expect(live.stats().sweep.digestChecks).toBeGreaterThanOrEqual(1)
    w.hidden.add(5)
    user = w.clock.now() * 1000
    const from = w.server.requests.length
    await run(w.clock, 16_000)
    expect(live.get(5)).toBeUndefined()
    // The next verification poll (15 s) read the stamp; its key sweep went out at once, and only one ran.
    const made = w.server.requests.slice(from)
    const poll = made.find((request) => request.name === 'supasync_poll')!
    expect(keyReads(made).map((request) => request.at)).toEqual([poll.at, poll.at])
    expect(live.stats().sweep).toMatchObject({ sweeps: 1, dropped: 1 })
  })
})

describe('LiveTable: the digest request', () => {
  it('asks the digest of the table\'s own filter with its soft-delete column, only with a cursor', async () => {
    const w = world()
    const live = w.open()
    await toRealtime(w, live)
    await run(w.clock, 3000)
    const asked = w.server.requests.filter(digestAsked)
    expect(asked.length).toBeGreaterThanOrEqual(1)
    for (const request of asked) {
      expect(request.args).toMatchObject({ digest_filters: [{ project_id: '1' }], soft_delete_column: 'deleted_at' })
      expect(typeof request.args!.since).toBe('string')
    }
  })
})
