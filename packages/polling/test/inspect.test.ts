/**
 * Live tables in sync.inspect() (issue #17 point 1): a real supasync instance over the fake realtime client and the
 * fake PostgREST, on a manual clock. What the entry shows (options, mode, staleness against the budget, rows, holders,
 * reads, changes realtime missed, errors), that a quiet table keeps the snapshot's identity while time passes, that no
 * row reaches the snapshot, and that it leaves with the table and with the instance.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createSupasync, manualPort, type InspectLiveTable, type Supasync } from '@supasync/core'
import { FakeRealtime } from '../../core/test/fakeRealtime.js'
import { acquireLiveTable, createLiveTable, type LiveTable, type LiveTableOptions } from '../src/index.js'
import { failure, FakeServer, manualClock, pgts, run, type ManualClock } from './fakes.js'

const T0 = Date.UTC(2026, 11, 4, 12, 0, 0)
type Comp = { id: number; project_id: number; tag: string; updated_at: string }

const instances: Supasync[] = []
afterEach(async () => {
  for (const sync of instances.splice(0)) await sync.destroy()
})

function setup(rows = 5) {
  const clock: ManualClock = manualClock(T0)
  const realtime = new FakeRealtime()
  const sync = createSupasync(realtime.asClient(), { ports: { timers: clock, network: manualPort(true), visibility: manualPort(true) }, onError: () => undefined })
  instances.push(sync)
  const server = new FakeServer(clock)
  server.rows = Array.from({ length: rows }, (_, index) => ({ id: index + 1, project_id: 1, tag: `secret-tag-${index + 1}`, updated_at: pgts((T0 - 60_000) * 1000 + index) }))
  const options: LiveTableOptions<Comp> = { supabase: server.host, table: 'components', filter: { project_id: 1 }, sweepIntervalMs: false, maxStalenessMs: 30_000, onError: () => undefined }
  /** The changes channel joins, the server confirms the subscription, and heartbeats are answered: realtime is live. */
  const goLive = async (table: LiveTable<Comp>) => {
    for (const channel of realtime.channels) {
      channel.joined()
      channel.system({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL' })
    }
    for (let second = 0; second < 30 && table.freshness.get().mode !== 'realtime'; second++) {
      realtime.heartbeatOk(5)
      await run(clock, 1000)
    }
    expect(table.freshness.get().mode).toBe('realtime')
  }
  /** Time passes with every heartbeat answered (the socket stays proven). */
  const stayLive = async (ms: number) => {
    for (let left = ms; left > 0; left -= 1000) {
      if (realtime.pendingHeartbeatRef !== null) realtime.heartbeatOk(5)
      await run(clock, Math.min(1000, left))
    }
  }
  return { clock, realtime, sync, server, options, goLive, stayLive }
}

const liveTableOf = (sync: Supasync): InspectLiveTable => {
  const tables = sync.inspect().liveTables
  expect(tables).toHaveLength(1)
  return tables[0]!
}

describe('live tables in sync.inspect()', () => {
  it('shows options, mode, staleness against the budget, rows, reads and holders; never a row', async () => {
    const { sync, clock, options, goLive } = setup(5)
    const table = createLiveTable(sync, options)
    expect(liveTableOf(sync)).toEqual({
      id: expect.stringMatching(/^liveTable-\d+$/),
      schema: 'public',
      table: 'components',
      filter: { project_id: 1 },
      source: 'postgres_changes',
      mode: 'catching-up',
      lastSyncedAt: undefined,
      stalenessMs: 0,
      maxStalenessMs: 30_000,
      rows: 0,
      holders: 1,
      polls: 0,
      failedPolls: 0,
      lastPollAt: undefined,
      missedByRealtime: 0,
      error: undefined,
    } satisfies InspectLiveTable)
    await table.ready
    await run(clock, 0)
    const loaded = liveTableOf(sync)
    expect(loaded).toMatchObject({ rows: 5, polls: 1, lastPollAt: T0, lastSyncedAt: T0, failedPolls: 0 })
    await goLive(table)
    const live = liveTableOf(sync)
    expect(live.mode).toBe('realtime')
    expect(live.polls).toBeGreaterThanOrEqual(2) // the catch-up read after "Subscribed to PostgreSQL"
    expect(live.stalenessMs).toBe(table.freshness.get().stalenessMs)
    expect(JSON.stringify(sync.inspect())).not.toContain('secret-tag')
    table.destroy()
    expect(sync.inspect().liveTables).toEqual([])
    expect(sync.diagnostics().inspectRegistrations).toBe(0)
  })

  it('keeps the snapshot while a quiet table only ages, and reports staleness as of takenAt', async () => {
    const { sync, clock, options, goLive } = setup(3)
    const table = createLiveTable(sync, options)
    await table.ready
    await goLive(table)
    const quiet = sync.inspect()
    // Time passes: the table re-derives its freshness every second, but nothing a panel cannot extrapolate changed.
    await run(clock, 3000)
    expect(sync.inspect()).toBe(quiet)
    // Something else changes 400 ms after the table last re-derived its freshness: the table's entry is rebuilt
    // with its staleness as of the new takenAt, not as of that last second.
    clock.advance(400)
    const other = sync.registerInspect('presence', () => ({ topic: 'elsewhere', selfKey: undefined, members: [] }))
    const next = sync.inspect()
    expect(next).not.toBe(quiet)
    const entry = next.liveTables[0]!
    expect(entry.stalenessMs).toBe(table.freshness.get().stalenessMs + 400)
    expect(entry.lastSyncedAt! + entry.stalenessMs).toBeGreaterThanOrEqual(next.takenAt)
    other.unregister()
  })

  it('counts failed reads with their error, and clears the error once a read succeeds', async () => {
    const { sync, clock, server, options } = setup(2)
    server.intercept = () => failure(503)
    const table = createLiveTable(sync, options)
    await run(clock, 0)
    const failed = liveTableOf(sync)
    expect(failed.failedPolls).toBeGreaterThanOrEqual(1)
    expect(failed.polls).toBe(0)
    expect(failed.error).toEqual({ code: 'UNREACHABLE', message: expect.any(String) })
    server.intercept = undefined
    await run(clock, 15_000)
    await table.ready
    expect(liveTableOf(sync)).toMatchObject({ error: undefined, rows: 2, polls: expect.any(Number) })
    expect(liveTableOf(sync).polls).toBeGreaterThanOrEqual(1)
  })

  it('counts the changes realtime missed, found by a verification poll', async () => {
    const { sync, clock, server, options, goLive, stayLive } = setup(2)
    const table = createLiveTable(sync, options)
    await table.ready
    await goLive(table)
    // A write realtime never delivers, a second after a verification poll: the next one (maxStalenessMs / 2 later)
    // finds it, older than the delivery delay realtime is held to.
    const lastPoll = server.of('poll').at(-1)!.at
    await stayLive(lastPoll + 1000 - clock.now())
    server.write({ id: 3, project_id: 1, tag: 'missed' })
    expect(liveTableOf(sync)).toMatchObject({ rows: 2, missedByRealtime: 0 })
    await stayLive(20_000)
    expect(liveTableOf(sync)).toMatchObject({ rows: 3, missedByRealtime: 1 })
  })

  it('counts the holders of a shared table, and leaves with the instance', async () => {
    const { sync, clock, options } = setup(1)
    const first = acquireLiveTable(sync, options)
    const second = acquireLiveTable(sync, { ...options })
    expect(second.table).toBe(first.table)
    expect(liveTableOf(sync).holders).toBe(2)
    second.release()
    expect(liveTableOf(sync).holders).toBe(1)
    await run(clock, 0)
    await sync.destroy()
    expect(sync.inspect().liveTables).toEqual([])
    expect(sync.diagnostics()).toMatchObject({ inspectRegistrations: 0, shared: 0 })
  })
})
