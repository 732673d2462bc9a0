/**
 * The `poll` events of sync.onEvent (issue #17): one per read, whatever it brought (idle verification polls too),
 * failures with `ok: false`, the initial load with purpose 'load', and `missed-by-realtime` with the poll that found
 * the rows. Fakes only.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { SupasyncEventInput } from '@supasync/core'
import { createLiveTable } from '../src/createLiveTable.js'
import type { LiveTable } from '../src/LiveTable.js'
import { fakeSync, FakeServer, flush, loadThenGoLive, manualClock, pgts, run } from './fakes.js'

type Comp = { id: number; project_id: number; tag: string; updated_at: string }
type Event = SupasyncEventInput
type PollEvent = Extract<SupasyncEventInput, { type: 'poll' }>
const T0 = Date.UTC(2026, 11, 4, 12, 0, 0)
const opened: LiveTable<Comp>[] = []
afterEach(() => {
  for (const live of opened.splice(0)) live.destroy()
})

function world() {
  const clock = manualClock(T0)
  const server = new FakeServer(clock)
  server.rows = [1, 2, 3].map((id) => ({ id, project_id: 1, tag: `C-${id}`, updated_at: pgts(T0 * 1000 - 60_000_000 + id) }))
  const fake = fakeSync(clock)
  const events: Event[] = []
  Object.assign(fake.sync, { eventsActive: true, emitEvent: (event: Event) => events.push(event) })
  const live = createLiveTable<Comp>(fake.sync, { supabase: server.host, table: 'components', maxStalenessMs: 3000, sweepIntervalMs: false, onError: () => {} })
  opened.push(live)
  return { clock, server, fake, events, live }
}

const polls = (events: readonly Event[]) => events.filter((event): event is PollEvent => event.type === 'poll')

describe('poll events', () => {
  it('one per read: the load, then every verification poll, rows or not; a failed poll with ok false', async () => {
    const w = world()
    await flush()
    await w.live.ready
    expect(polls(w.events)).toEqual([{ type: 'poll', table: 'components', purpose: 'load', rows: 3, ms: 0, ok: true }])
    await loadThenGoLive(w.clock, w.fake, w.live)
    await run(w.clock, 1000)
    w.events.length = 0
    // Realtime mode: a verification poll every 1.5 s; 6 s without a write: four polls, none with rows.
    await run(w.clock, 6000)
    const idle = polls(w.events)
    expect(idle).toHaveLength(4)
    expect(idle.every((event) => event.purpose === 'verify' && event.rows === 0 && event.ok)).toBe(true)
    // One fails.
    w.events.length = 0
    let fail = true
    w.server.intercept = () => {
      if (!fail) return undefined
      fail = false
      return { data: null, error: { message: 'busy' }, status: 503 }
    }
    await run(w.clock, 1500)
    expect(polls(w.events)[0]).toMatchObject({ type: 'poll', ok: false, rows: 0 })
  })

  it('a poll that finds rows realtime lost reports them, and missed-by-realtime with the count', async () => {
    const w = world()
    await loadThenGoLive(w.clock, w.fake, w.live)
    await run(w.clock, 3000)
    w.events.length = 0
    w.server.write({ id: 2, project_id: 1, tag: 'lost by realtime' })
    await run(w.clock, 3100)
    const found = polls(w.events).find((event) => event.rows > 0)
    expect(found).toMatchObject({ purpose: 'verify', rows: 1, ok: true })
    expect(w.events).toContainEqual({ type: 'missed-by-realtime', table: 'components', count: 1 })
    expect(JSON.stringify(w.events)).not.toContain('lost by realtime')
  })
})
