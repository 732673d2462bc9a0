/**
 * Adversarial cases found by a review of the issue #10 fixes (claims ahead of data, sweeps dropping rows that exist,
 * request storms): each asserts the fixed behaviour, for both realtime sources (postgres_changes and a broadcast
 * topic). Fakes only, no stack.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { ConnectionState, SupasyncError } from '@supasync/core'
import { createLiveTable } from '../src/createLiveTable.js'
import type { LiveTable } from '../src/LiveTable.js'
import type { LiveTableOptions } from '../src/options.js'
import type { LiveChange } from '../src/RowView.js'
import { deferred, failure, fakeSync, FakeServer, flush, manualClock, pgts, run, type Row } from './fakes.js'
import type { PostgrestResult } from '../src/PostgrestHost.js'

type Comp = { id: number; project_id: number; tag: string; updated_at: string; deleted_at?: string | null }
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0)
const T0us = T0 * 1000
const opened: LiveTable<Comp>[] = []
afterEach(() => { for (const live of opened.splice(0)) live.destroy() })

type Source = 'postgres_changes' | 'broadcast'
const SOURCE_OPTIONS: Record<Source, Partial<LiveTableOptions<Comp>>> = {
  postgres_changes: {},
  broadcast: { source: 'broadcast', topic: 'project:1' },
}

function world(state: ConnectionState = 'live', source: Source = 'postgres_changes') {
  const clock = manualClock(T0)
  const server = new FakeServer(clock)
  server.rows = [1, 2, 3, 4, 5, 6].map((id) => ({ id, project_id: id % 2 === 1 ? 1 : 2, tag: `C-${id}`, deleted_at: null, updated_at: pgts(T0us - 60_000_000 + id) }))
  const fake = fakeSync(clock, state)
  const errors: SupasyncError<string>[] = []
  const changes: LiveChange<Comp>[] = []
  const open = (options: Partial<LiveTableOptions<Comp>> = {}) => {
    const live = createLiveTable<Comp>(fake.sync, { supabase: server.host, table: 'components', onError: (e) => errors.push(e), onChange: (c) => changes.push(c), sweepIntervalMs: false, ...SOURCE_OPTIONS[source], ...options })
    opened.push(live)
    return live
  }
  return { clock, server, fake, errors, changes, open }
}
const counts = (live: LiveTable<Comp>) => (live as unknown as { poller: { counts: { polls: number } } }).poller.counts

describe('adversarial cases (issue #10 review): what proves realtime', () => {
  it('postgres_changes: a hard delete of a filtered table: realtime is not claimed while its DELETE lease is down', async () => {
    const w = world('live')
    const live = w.open({ filter: { project_id: 1 } })
    await flush(); await live.ready
    await run(w.clock, 100)
    expect(w.fake.leases).toHaveLength(2)
    w.fake.leases[0]!.live() // the filtered lease is live; the DELETE lease (leases[1]) stays 'pending' (or 'error')
    await flush(); await run(w.clock, 100)
    expect(live.freshness.get().mode).toBe('polling') // its DELETE lease is not live: realtime is not proven
    const deletedAt = w.clock.now()
    w.server.remove(3) // committed hard delete; realtime cannot deliver it (its only route, the DELETE lease, is down)
    await run(w.clock, 8000)
    const f = live.freshness.get()
    // Either the delete is applied or nothing after it is claimed.
    if (live.get(3) !== undefined) expect(f.lastSyncedAt!).toBeLessThanOrEqual(deletedAt)
    expect(f.mode).not.toBe('realtime')
    // When it goes live it catches up, and realtime is claimed only after that read.
    w.fake.leases[1]!.live()
    await run(w.clock, 100)
    expect(live.get(3)).toBeUndefined()
    expect(live.freshness.get().mode).toBe('realtime')
  })

  it('broadcast: a hard delete while the room is down (socket lost) is not claimed, and the rejoin catches up before realtime', async () => {
    const w = world('live', 'broadcast')
    const live = w.open({ filter: { project_id: 1 } })
    await flush(); await live.ready
    await run(w.clock, 100)
    const room = w.fake.rooms.get('project:1')!
    room.join()
    await flush(); await run(w.clock, 100)
    expect(live.freshness.get().mode).toBe('realtime')
    room.drop() // the socket died: what is broadcast meanwhile is lost
    const deletedAt = w.clock.now()
    w.server.remove(3)
    await run(w.clock, 8000)
    const f = live.freshness.get()
    if (live.get(3) !== undefined) expect(f.lastSyncedAt!).toBeLessThanOrEqual(deletedAt)
    expect(f.mode).not.toBe('realtime')
    room.join() // realtime-js rejoined: deliveries flow again, the gap is read first
    expect(live.freshness.get().mode).toBe('catching-up')
    await run(w.clock, 100)
    expect(live.get(3)).toBeUndefined()
    expect(live.freshness.get().mode).toBe('realtime')
  })
})

describe.each(['postgres_changes', 'broadcast'] as const)('adversarial cases (issue #10 review), source %s', (source) => {
  it('without the watermark function the cursor follows the newest stamp read: a quiet poll reads one page', async () => {
    const w = world('degraded', source)
    // An insert-only log: serial ids, stamps increasing with id, 2 s apart (more than overlapMs).
    w.server.rows = Array.from({ length: 40 }, (_, i) => ({ id: i + 1, project_id: 1, tag: `L-${i + 1}`, deleted_at: null, updated_at: pgts(T0us - 200_000_000 + (i + 1) * 2_000_000) }))
    w.server.intercept = (request) => (request.kind === 'rpc' ? failure(404, 'Could not find the function', 'PGRST202') : undefined)
    const live = w.open({ pageSize: 4, maxStalenessMs: 3000 })
    await flush(); await live.ready
    const pagesPerPoll: number[] = []
    let before = w.server.of('rows').length
    for (let i = 0; i < 8; i++) {
      await run(w.clock, 1000)
      const now = w.server.of('rows').length
      pagesPerPoll.push(now - before)
      before = now
    }
    expect(counts(live).polls).toBeGreaterThanOrEqual(7)
    // Nothing changed after the load: after the first poll, each reads one (empty) page.
    expect(pagesPerPoll.slice(2)).toEqual(pagesPerPoll.slice(2).map(() => 1))
  })

  it('a sweep does not adopt a row that left the filter between its key read and its row read', async () => {
    const w = world('degraded', source)
    const hidden = new Set<number>([7])
    w.server.rows.push({ id: 7, project_id: 1, tag: 'C-7', deleted_at: null, updated_at: pgts(T0us - 60_000_000 + 7) })
    let moved = false
    w.server.intercept = (request) => {
      if (request.kind !== 'select' || request.name !== 'components') return undefined
      const answer = w.server.answer(request)
      const data = (answer.data as Row[]).filter((row) => !hidden.has(Number(row.id)))
      if (!moved && request.columns === 'id' && data.some((r) => r.id === 7)) {
        moved = true
        w.server.write({ id: 7, project_id: 2, tag: 'moved to project 2' }) // leaves the filter right after the key page
      }
      return { ...answer, data }
    }
    const live = w.open({ filter: { project_id: 1 }, maxStalenessMs: 3000, sweepIntervalMs: 1500 })
    await flush(); await live.ready
    expect(live.get(7)).toBeUndefined()
    hidden.delete(7) // access granted without a write
    const t = w.clock.now()
    await run(w.clock, 1600)
    const f = live.freshness.get()
    expect(moved).toBe(true)
    expect(f.lastSyncedAt).toBeDefined()
    expect(t).toBeGreaterThan(0)
    expect(live.get(7)).toBeUndefined() // project 2 is not { project_id: 1 }
  })

  it('a poll answer read before a revocation does not bring back the row the sweep dropped', async () => {
    const w = world('degraded', source)
    w.server.digestFunction = false // periodic checks read the keys: this is about sweeps
    const hidden = new Set<number>()
    let hold: { promise: Promise<PostgrestResult>; resolve(v: PostgrestResult): void } | undefined
    let holdNext = false
    const readable = (rows: Row[]) => rows.filter((row) => !hidden.has(Number(row.id)))
    w.server.intercept = (request) => {
      // A poll is one supasync_poll request; loads and sweeps select from the table.
      const polling = request.name === 'supasync_poll'
      if (!polling && (request.kind !== 'select' || request.name !== 'components')) return undefined
      const answer = w.server.answer(request)
      const data = answer.data as Row[] | { rows: Row[] }
      const result = answer.error ? answer : { ...answer, data: Array.isArray(data) ? readable(data) : { ...data, rows: readable(data.rows) } }
      if (holdNext && polling && !answer.error) {
        holdNext = false
        hold = deferred<PostgrestResult>()
        const d = hold
        return d.promise.then(() => result) // answered as of now (row 3 readable), delivered later
      }
      return result
    }
    const live = w.open({ filter: { project_id: 1 }, maxStalenessMs: 3000, sweepIntervalMs: 1500, requestTimeoutMs: 1200, pollIntervalMs: 1000 })
    await flush(); await live.ready
    await run(w.clock, 1000) // the first poll finds that the function takes no digests: sweeps every 1.5 s from then on
    w.server.write({ id: 3, project_id: 1, tag: 'C-3 v2', deleted_at: null })
    holdNext = true
    await run(w.clock, 1000) // the poll sends its rows request (row 3 v2 readable); the answer is held
    expect(hold).toBeDefined()
    hidden.add(3) // revoked
    await run(w.clock, 600) // the sweep at 1500 runs and drops row 3
    const droppedNow = live.get(3) === undefined
    hold!.resolve(undefined as unknown as PostgrestResult) // the poll's answer (read before the revocation) arrives
    await flush()
    expect(droppedNow).toBe(true)
    expect(live.get(3)).toBeUndefined()
  })

  it('a sweep in flight at destroy() changes nothing afterwards (the poller is shared and stays)', async () => {
    const w = world('degraded', source)
    w.server.digestFunction = false // periodic checks read the keys: this is about sweeps
    const hidden = new Set<number>()
    let gate: ReturnType<typeof deferred<void>> | undefined
    w.server.intercept = (request) => {
      if (request.kind !== 'select' || request.name !== 'components') return undefined
      const answer = w.server.answer(request)
      const result = { ...answer, data: (answer.data as Row[]).filter((row) => !hidden.has(Number(row.id))) }
      if (request.columns === 'id' && !gate) { gate = deferred<void>(); return gate.promise.then(() => result) }
      return result
    }
    const afterDestroy: string[] = []
    let destroyedA = false
    const a = w.open({ filter: { project_id: 1 }, maxStalenessMs: 3000, sweepIntervalMs: 1500, onChange: (c) => { if (destroyedA) afterDestroy.push(`${c.key}:${c.row === undefined ? 'removed' : 'set'}`) } })
    const b = w.open({ filter: { project_id: 2 }, maxStalenessMs: 3000, sweepIntervalMs: false }) // keeps the shared poller alive
    await flush(); await a.ready; await b.ready
    hidden.add(3)
    await run(w.clock, 1600) // a's sweep sent its key request; the answer is held
    expect(gate).toBeDefined()
    a.destroy(); destroyedA = true
    gate!.resolve()
    await flush()
    expect(afterDestroy).toEqual([])
  })

  it('a server row cap below pageSize does not end a key sweep early: readable rows stay, and the cap is reported', async () => {
    const w = world('degraded', source)
    // PostgREST db-max-rows = 2, below pageSize 4: every select answers at most 2 rows.
    w.server.intercept = (request) => {
      if (request.kind !== 'select') return undefined
      const answer = w.server.answer(request)
      return { ...answer, data: (answer.data as Row[]).slice(0, 2) }
    }
    const live = w.open({ maxStalenessMs: 3000, sweepIntervalMs: 1500, pageSize: 4 })
    await flush(); await live.ready
    w.server.write({ id: 5, project_id: 1, tag: 'C-5 edited', deleted_at: null })
    await run(w.clock, 1100) // a poll delivers the edit (one changed row, under the cap)
    const afterPoll = live.get(5)?.tag
    await run(w.clock, 4000) // sweeps at 1500, 3000, 4500 read keys [1, 2] only and take the short page for the last one
    const history = w.changes.filter((c) => c.key === '5').map((c) => `${c.source}:${c.row ? 'set' : 'removed'}`)
    expect(afterPoll).toBe('C-5 edited')
    expect(history).toEqual(['poll:set'])
    expect(live.get(5)?.tag).toBe('C-5 edited')
    expect(live.stats().sweep).toMatchObject({ dropped: 0 })
    expect(w.errors.some((error) => /db-max-rows/.test(error.message))).toBe(true)
  })

  it('without the watermark function, pageSize rows sharing one stamp do not pin the cursor', async () => {
    const w = world('degraded', source)
    const S = T0us - 30_000_000
    w.server.rows = Array.from({ length: 8 }, (_, i) => ({ id: i + 1, project_id: 1, tag: `bulk-${i + 1}`, deleted_at: null, updated_at: pgts(S) }))
    w.server.intercept = (request) => (request.kind === 'rpc' ? failure(404, 'Could not find the function', 'PGRST202') : undefined)
    const live = w.open({ pageSize: 4, maxStalenessMs: 3000 })
    await flush(); await live.ready
    const sinces: string[] = []
    for (let i = 0; i < 20; i++) {
      w.server.write({ id: 100 + i, project_id: 1, tag: `new-${i}`, deleted_at: null }) // later writes, higher keys
      await run(w.clock, 1000)
    }
    for (const r of w.server.of('rows').slice(-3)) sinces.push(r.ors[0] ?? '')
    const lastPollPages = w.server.of('rows').filter((r) => r.at === w.server.of('rows').at(-1)!.at).length
    expect(sinces.at(-1)).not.toContain(pgts(S - 1_000_000).replace('+00:00', 'Z').slice(0, 19))
    expect(lastPollPages).toBe(1)
  })

  it('a large grant is read in by-key batches short enough for a URL, and the drops do not wait for them', async () => {
    const w = world('degraded', source)
    const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
    const granted = Array.from({ length: 600 }, (_, i) => ({ id: uuid(i + 1), project_id: 1, tag: `G-${i + 1}`, deleted_at: null, updated_at: pgts(T0us - 50_000_000 + i) }))
    w.server.rows = [{ id: uuid(9999), project_id: 1, tag: 'revoked', deleted_at: null, updated_at: pgts(T0us - 60_000_000) }]
    const live = w.open({ maxStalenessMs: 3000, sweepIntervalMs: 1500 })
    await flush(); await live.ready
    expect(live.rows.get().size).toBe(1)
    // The user is moved to another project: one row revoked, 600 granted, none of them written.
    w.server.rows = granted
    await run(w.clock, 1600)
    expect(live.get(uuid(9999))).toBeUndefined()
    expect(live.rows.get().size).toBe(600)
    const byKey = w.server.of('rows').filter((request) => request.ors.some((filter) => filter.startsWith('id.in.')))
    expect(byKey.length).toBeGreaterThan(1)
    for (const request of byKey) expect(encodeURIComponent(request.ors.join('')).length).toBeLessThanOrEqual(6000)
  })
})
