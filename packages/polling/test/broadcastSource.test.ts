/**
 * `source: 'broadcast'` over fakes: options, the room as the realtime path (join, rejoin, socket loss, refusal),
 * and how broadcast_changes payloads are applied. Manual clock, no network. The same behaviour against the local
 * stack: broadcast.test.ts; the fault tests of guarantee.test.ts run for both sources.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { thrown } from '../../core/test/helpers.js'
import { SupasyncError, type ConnectionState, type Supasync } from '@supasync/core'
import { liveTableKey } from '../src/acquireLiveTable.js'
import { createLiveTable } from '../src/createLiveTable.js'
import type { LiveTable } from '../src/LiveTable.js'
import type { LiveTableOptions } from '../src/options.js'
import type { LiveChange } from '../src/RowView.js'
import { parseVersion } from '../src/versions.js'
import { dbChange, fakeSync, FakeServer, flush, manualClock, pgts, run, type FakeRoom } from './fakes.js'

type Comp = { id: number; project_id: number; tag: string; updated_at: string; deleted_at?: string | null }
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0)
const T0us = T0 * 1000
const TOPIC = 'project:1'

const opened: LiveTable<Comp>[] = []
afterEach(() => {
  for (const live of opened.splice(0)) live.destroy()
})

function world(state: ConnectionState = 'live') {
  const clock = manualClock(T0)
  const server = new FakeServer(clock)
  server.rows = [1, 2, 3, 4, 5, 6].map((id) => ({ id, project_id: id % 2 === 1 ? 1 : 2, tag: `C-${id}`, deleted_at: null, updated_at: pgts(T0us - 60_000_000 + id) }))
  const fake = fakeSync(clock, state)
  const errors: SupasyncError<string>[] = []
  const changes: LiveChange<Comp>[] = []
  const open = (options: Partial<LiveTableOptions<Comp>> = {}) => {
    const live = createLiveTable<Comp>(fake.sync, {
      supabase: server.host,
      table: 'components',
      source: 'broadcast',
      topic: TOPIC,
      filter: { project_id: 1 },
      onError: (error) => errors.push(error),
      onChange: (change) => changes.push(change),
      sweepIntervalMs: false,
      ...options,
    })
    opened.push(live)
    return live
  }
  const room = (topic = TOPIC): FakeRoom => fake.rooms.get(topic)!
  const pollTimes = () => server.of('watermark').map((request) => request.at - T0)
  return { clock, server, fake, errors, changes, open, room, pollTimes }
}

const mode = (live: LiveTable<Comp>) => live.freshness.get().mode
const tags = (live: LiveTable<Comp>) => Object.fromEntries([...live.rows.get()].map(([key, row]) => [key, row.tag]))

/** Loads, joins the room at +100 ms and lets the catch-up poll complete. */
async function toRealtime(w: ReturnType<typeof world>, live: LiveTable<Comp>): Promise<void> {
  await flush()
  await live.ready
  await run(w.clock, 100)
  w.room().join()
  await flush()
  expect(mode(live)).toBe('realtime')
}

describe("source: 'broadcast' options", () => {
  const base = { supabase: new FakeServer(manualClock(T0)).host, table: 'components' }
  const code = (options: Partial<LiveTableOptions>) => thrown(() => createLiveTable(fakeSync(manualClock(T0)).sync, { ...base, ...options } as LiveTableOptions)) as SupasyncError<string>

  it('refuses a missing or unusable topic, a topic without the source and an unknown source, saying what to write', () => {
    const cases: [Partial<LiveTableOptions>, RegExp][] = [
      [{ source: 'broadcast' }, /source 'broadcast' needs topic: .*topic: 'project:42'.*supasync\.enable_broadcast/],
      [{ topic: 'project:1' }, /topic "project:1" is only used with source: 'broadcast'\. Add source: 'broadcast'.*or remove topic/],
      [{ source: 'postgres_changes', topic: 'project:1' }, /only used with source: 'broadcast'/],
      [{ source: 'changes' as never }, /source must be 'postgres_changes' or 'broadcast', got "changes"/],
      [{ source: 'broadcast', topic: '  ' }, /topic must be a non-empty string/],
      [{ source: 'broadcast', topic: 42 as never }, /topic must be a non-empty string.*got 42/],
      [{ source: 'broadcast', topic: 'realtime:project:1' }, /leave out the "realtime:" prefix.*topic: "project:1"/],
      [{ source: 'broadcast', topic: 'supasync:x' }, /"supasync:" prefix is reserved/],
      [{ source: 'broadcast', topic: 'p'.repeat(247) }, /longer than 246 bytes/],
    ]
    for (const [options, message] of cases) {
      const error = code(options)
      expect(error, JSON.stringify(options)).toBeInstanceOf(SupasyncError)
      expect(error.code).toBe('INVALID_OPTIONS')
      expect(error.message).toMatch(message)
    }
    expect(() => createLiveTable(fakeSync(manualClock(T0)).sync, { ...base, source: 'broadcast', topic: 'p'.repeat(246) }).destroy()).not.toThrow()
  })

  it('source and topic are part of the shared key: equal options share, another source or topic does not', () => {
    const sync = { client: base.supabase } as unknown as Supasync
    const key = (options: Partial<LiveTableOptions>) => liveTableKey(sync, { table: 'components', ...options } as LiveTableOptions<never>)
    expect(key({})).toBe(key({ source: 'postgres_changes' }))
    expect(key({ source: 'broadcast', topic: 'project:1' })).toBe(key({ topic: 'project:1', source: 'broadcast' }))
    const distinct = new Set([key({}), key({ source: 'broadcast', topic: 'project:1' }), key({ source: 'broadcast', topic: 'project:2' })])
    expect(distinct.size).toBe(3)
  })

  it('a topic another holder opened with other options fails at creation with the fix, and leaves nothing running', () => {
    const clock = manualClock(T0)
    const fake = fakeSync(clock)
    const conflict = new SupasyncError('CONFIG_CONFLICT', 'Channel "project:1" is already held with options {"private":false}; holders of one topic share one channel and must pass the same options.')
    ;(fake.sync as unknown as { channel: () => never }).channel = () => {
      throw conflict
    }
    const error = thrown(() => createLiveTable(fake.sync, { ...base, source: 'broadcast', topic: 'project:1' })) as SupasyncError<string>
    expect(error.code).toBe('INVALID_OPTIONS')
    expect(error.message).toMatch(/joins topic "project:1" as sync\.channel\(topic, \{ private: true \}\), but Channel "project:1" is already held.*Open the topic elsewhere with \{ private: true \}/)
    expect((error as Error & { cause?: unknown }).cause).toBe(conflict)
    expect(clock.pending).toBe(0) // no poller, no tick
  })
})

describe("source: 'broadcast': the room is the realtime path", () => {
  it('joins one private room on the topic and subscribes to no postgres_changes; tables of one topic share it; destroy() releases it', async () => {
    const w = world()
    const a = w.open()
    const b = w.open({ filter: { project_id: 1, tag: 'C-3' } })
    expect(w.fake.leases).toEqual([])
    expect([...w.fake.rooms.keys()]).toEqual([TOPIC])
    expect(w.room().options).toEqual({ private: true })
    expect(w.room().holders).toBe(2)
    expect(w.room().listeners.size).toBe(2)
    a.destroy()
    b.destroy()
    expect(w.room().holders).toBe(0)
    expect(w.room().listeners.size).toBe(0)
    expect(w.room().status.listenerCount).toBe(0)
    expect(w.clock.pending).toBe(0)
  })

  it('catching-up → polling while joining → realtime only after the join and a catch-up read; every rejoin catches up again', async () => {
    const w = world()
    const live = w.open()
    await flush()
    expect(mode(live)).toBe('polling') // loaded, room still joining
    await run(w.clock, 100)
    w.room().join()
    expect(mode(live)).toBe('catching-up') // synchronously: the join asks for a read first
    await flush()
    expect(w.pollTimes()).toEqual([0, 100])
    expect(mode(live)).toBe('realtime')
    await run(w.clock, 2000)
    // The socket died: realtime-js keeps the channel to rejoin it. Not live, but no refusal either.
    w.room().drop()
    expect(mode(live)).toBe('polling')
    expect(live.freshness.get().error).toBeUndefined()
    await run(w.clock, 3000)
    w.room().join()
    expect(mode(live)).toBe('catching-up')
    await flush()
    expect(w.pollTimes()).toEqual([0, 100, 5100])
    expect(mode(live)).toBe('realtime')
    expect(w.errors).toEqual([])
  })

  it('a joined room on an unproven socket is not realtime: the table polls', async () => {
    const w = world('degraded')
    const live = w.open()
    await flush()
    await live.ready
    w.room().join()
    await flush()
    expect(mode(live)).toBe('polling')
    await run(w.clock, 25_000)
    expect(w.pollTimes()).toEqual([0, 0, 10_000, 20_000])
    w.fake.setState('live')
    expect(mode(live)).toBe('realtime')
  })

  it('a refused join: polling, REALTIME_REFUSED in freshness (reported once) until the room joins; never realtime meanwhile', async () => {
    const w = world()
    const live = w.open()
    await flush()
    await live.ready
    const modes = new Set<string>()
    live.freshness.subscribe((freshness) => modes.add(freshness.mode))
    w.room().refuse()
    await run(w.clock, 1000)
    expect(mode(live)).toBe('polling')
    const error = live.freshness.get().error as SupasyncError<string>
    expect(error.code).toBe('REALTIME_REFUSED')
    expect(error.message).toMatch(/Realtime refused or closed the private topic "project:1" of live table components .*polls every 10000 ms.*SELECT policy on realtime\.messages/)
    await run(w.clock, 30_000) // polls succeed meanwhile: the refusal stays in freshness
    expect(w.pollTimes()).toEqual([0, 10_000, 20_000, 30_000])
    expect(live.freshness.get().error).toBe(error)
    expect(w.errors.filter((e) => e.code === 'REALTIME_REFUSED')).toHaveLength(1)
    expect(modes.has('realtime')).toBe(false)
    w.room().join() // a new token was accepted
    await flush()
    expect(mode(live)).toBe('realtime')
    expect(live.freshness.get().error).toBeUndefined()
  })

  it('a closed room (its supasync instance destroyed) is reported the same way', async () => {
    const w = world()
    const live = w.open()
    await toRealtime(w, live)
    w.room().status.set('closed')
    expect(mode(live)).toBe('polling')
    expect(live.freshness.get().error).toMatchObject({ code: 'REALTIME_REFUSED', message: expect.stringMatching(/was closed/) })
  })
})

describe("source: 'broadcast': applying broadcast_changes payloads", () => {
  async function loaded() {
    const w = world()
    const live = w.open()
    await toRealtime(w, live)
    w.changes.length = 0
    const send = (event: string, payload: unknown) => w.room().deliver(event, payload)
    return { w, live, send }
  }
  const row = (id: number, project_id: number, tag: string, micros: number) => ({ id, project_id, tag, deleted_at: null, updated_at: pgts(micros) })

  it('applies INSERT, UPDATE and DELETE with the row\'s cursor as version, once, whatever the event name', async () => {
    const { w, live, send } = await loaded()
    send('INSERT', dbChange('INSERT', row(7, 1, 'C-7', T0us + 1000)))
    send('changed', dbChange('UPDATE', row(1, 1, 'welded', T0us + 2000)))
    send('DELETE', dbChange('DELETE', row(3, 1, 'C-3', T0us - 60_000_000 + 3)))
    expect(tags(live)).toEqual({ 1: 'welded', 5: 'C-5', 7: 'C-7' })
    expect(w.changes.map((change) => [change.key, change.row?.tag ?? null, change.source, change.version])).toEqual([
      ['7', 'C-7', 'realtime', T0us + 1000],
      ['1', 'welded', 'realtime', T0us + 2000],
      ['3', null, 'realtime', T0us - 60_000_000 + 3], // the deleted row's own version (old_record)
    ])
    send('UPDATE', dbChange('UPDATE', row(1, 1, 'welded', T0us + 2000))) // delivered twice
    send('UPDATE', dbChange('UPDATE', row(1, 1, 'older', T0us + 1500))) // an older version, late
    expect(live.get(1)?.tag).toBe('welded')
    expect(live.stats().applied.realtime).toBe(3)
    expect(w.errors).toEqual([])
  })

  it('ignores what is not this table\'s change: other tables and schemas, the app\'s own broadcasts, rows outside the filter', async () => {
    const { w, live, send } = await loaded()
    send('INSERT', dbChange('INSERT', row(8, 1, 'other table', T0us + 1000), { table: 'milestones' }))
    send('INSERT', dbChange('INSERT', row(9, 1, 'other schema', T0us + 1000), { schema: 'audit' }))
    send('running-late', { minutes: 20 })
    send('INSERT', 'not an object')
    send('INSERT', dbChange('INSERT', row(10, 1, 'no operation', T0us + 1000), { operation: 'TRUNCATE' }))
    send('INSERT', dbChange('INSERT', row(11, 2, 'another project on the topic', T0us + 1000)))
    expect(tags(live)).toEqual({ 1: 'C-1', 3: 'C-3', 5: 'C-5' })
    expect(w.changes).toEqual([])
    expect(w.errors).toEqual([])
  })

  it('an UPDATE that moves a held row out of the filter removes it; one that moves a row in adds it', async () => {
    const { live, send } = await loaded()
    send('UPDATE', dbChange('UPDATE', row(5, 2, 'moved away', T0us + 1000)))
    expect(live.get(5)).toBeUndefined()
    send('UPDATE', dbChange('UPDATE', row(5, 2, 'moved away', T0us + 1000))) // a copy: still out
    send('UPDATE', dbChange('UPDATE', row(2, 1, 'moved here', T0us + 2000)))
    expect(tags(live)).toEqual({ 1: 'C-1', 2: 'moved here', 3: 'C-3' })
  })

  it('softDeleteColumn: an UPDATE that sets it removes the row, one that clears it brings the row back', async () => {
    const w = world()
    const live = w.open({ softDeleteColumn: 'deleted_at' })
    await toRealtime(w, live)
    w.room().deliver('UPDATE', dbChange('UPDATE', { ...row(1, 1, 'C-1', T0us + 1000), deleted_at: pgts(T0us + 1000) }))
    expect(live.get(1)).toBeUndefined()
    w.room().deliver('UPDATE', dbChange('UPDATE', row(1, 1, 'restored', T0us + 2000)))
    expect(live.get(1)?.tag).toBe('restored')
  })

  it('the DELETE a trigger sends to the old topic when a row moves (old row only) removes it from that topic\'s tables', async () => {
    const { live, send } = await loaded()
    const held = live.get(5)!
    send('DELETE', dbChange('DELETE', held))
    expect(live.get(5)).toBeUndefined()
  })

  it('a late DELETE of an older version does not remove a re-inserted row; a DELETE of a row not held changes nothing', async () => {
    const { w, live, send } = await loaded()
    const deleted = live.get(1)!
    send('INSERT', dbChange('INSERT', row(1, 1, 're-inserted', T0us + 5000))) // the re-insert arrived first
    send('DELETE', dbChange('DELETE', deleted))
    expect(live.get(1)?.tag).toBe('re-inserted')
    send('DELETE', dbChange('DELETE', row(42, 1, 'never held', T0us + 6000)))
    expect(live.stats().tombstones).toBe(0)
    // A DELETE of a version newer than the held one (its UPDATE was lost) removes the row and keeps that update out.
    send('DELETE', dbChange('DELETE', row(3, 1, 'C-3 updated', T0us + 7000)))
    send('UPDATE', dbChange('UPDATE', row(3, 1, 'C-3 lost update', T0us + 6500)))
    expect(live.get(3)).toBeUndefined()
    expect(w.errors).toEqual([])
  })

  it('a payload of this table without a key or a cursor value is reported as BAD_ROW with the fix, and read through PostgREST', async () => {
    const { w, live, send } = await loaded()
    w.server.write({ id: 5, project_id: 1, tag: 'C-5 on the server' })
    const polls = w.pollTimes().length
    send('UPDATE', dbChange('UPDATE', { id: 5, project_id: 1, tag: 'C-5 on the server' })) // no updated_at
    expect(w.errors.map((error) => [error.code, error.message])).toEqual([
      ['BAD_ROW', expect.stringMatching(/topic "project:1" for components is an UPDATE whose record lacks the primary key \(id\) or a timestamp in updated_at: pass NEW to realtime\.broadcast_changes/)],
    ])
    send('DELETE', dbChange('DELETE', null as never, { old_record: null }))
    expect(w.errors.at(-1)?.message).toMatch(/a DELETE without the old row's primary key \(id\) in old_record: pass OLD/)
    await flush()
    expect(w.pollTimes().length).toBeGreaterThan(polls)
    expect(live.get(5)?.tag).toBe('C-5 on the server')
  })

  it('a broadcast lost on a live room is found by the verification poll and counted in missedByRealtime, as for postgres_changes', async () => {
    const { w, live } = await loaded()
    // sync.onEvent's side: the table reports its polls and what realtime missed.
    const events: Record<string, unknown>[] = []
    Object.assign(w.fake.sync, { eventsActive: true, emitEvent: (event: Record<string, unknown>) => events.push(event) })
    const atLive = w.clock.now()
    await run(w.clock, 2000)
    const written = w.server.write({ id: 1, tag: 'broadcast lost' })
    await run(w.clock, 15_000 - (w.clock.now() - atLive) + 50) // the verification poll at +15 s
    expect(live.get(1)?.tag).toBe('broadcast lost')
    expect(live.stats().missedByRealtime).toBe(1)
    expect(events).toContainEqual({ type: 'missed-by-realtime', table: 'components', count: 1 })
    expect(events).toContainEqual(expect.objectContaining({ type: 'poll', table: 'components', purpose: 'verify', ok: true }))
    expect(JSON.stringify(events)).not.toContain('broadcast lost')
    expect(mode(live)).toBe('polling')
    // Delivered late after all: nothing applies twice.
    w.room().deliver('UPDATE', dbChange('UPDATE', { ...written, project_id: 1 }))
    expect(live.stats().applied).toMatchObject({ realtime: 0, poll: 1 })
    expect(parseVersion(live.get(1)!.updated_at)).toBe(parseVersion(written.updated_at))
  })

  it('after destroy() a delivery changes nothing and no timer is left', async () => {
    const { w, live } = await loaded()
    live.destroy()
    w.room().deliver('INSERT', dbChange('INSERT', { id: 12, project_id: 1, tag: 'late', updated_at: pgts(T0us + 1) }))
    expect(live.get(12)).toBeUndefined()
    expect(w.clock.pending).toBe(0)
  })
})
