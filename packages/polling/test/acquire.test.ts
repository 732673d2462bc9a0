import { describe, expect, it } from 'vitest'
import type { SupasyncError } from '@supasync/core'
import { acquireLiveTable, liveTableKey, peekLiveTable, preloadLiveTable, sameFreshness, type LiveChange } from '../src/index.js'
import { FakeServer, fakeSync, flush, manualClock, pgts, run } from './fakes.js'

const T0 = Date.UTC(2026, 0, 1)
type Comp = { id: number; project_id: number; tag: string; updated_at: string }

function world() {
  const clock = manualClock(T0)
  const server = new FakeServer(clock)
  server.rows = [1, 2, 3, 4].map((id) => ({ id, project_id: id % 2 === 1 ? 1 : 2, tag: `C-${id}`, deleted_at: null, updated_at: pgts(T0 * 1000 - 60_000_000 + id) }))
  const fake = fakeSync(clock)
  const options = (extra: Record<string, unknown> = {}) => ({ supabase: server.host, table: 'components', sweepIntervalMs: false as const, ...extra })
  return { clock, server, fake, options }
}

describe('acquireLiveTable: one live table per equal options', () => {
  it('shares by value (key order, defaults), separates different filters and clients', () => {
    const { fake, options, server } = world()
    const a = liveTableKey(fake.sync, options({ filter: { project_id: 1 } }))
    expect(liveTableKey(fake.sync, { filter: { project_id: 1 }, table: 'components', supabase: server.host, sweepIntervalMs: false, schema: 'public', maxStalenessMs: 30_000 })).toBe(a)
    expect(liveTableKey(fake.sync, options({ filter: { project_id: 1 }, onChange: () => {} }))).toBe(a)
    expect(liveTableKey(fake.sync, options({ filter: { project_id: 2 } }))).not.toBe(a)
    expect(liveTableKey(fake.sync, options({ filter: { project_id: 1 }, supabase: new FakeServer(manualClock(T0)).host }))).not.toBe(a)
    expect(() => liveTableKey(fake.sync, options({ table: 'bad name' }))).toThrow(/plain identifier/)
  })

  it('two holders share one table, one load and one subscription; the last release destroys it after the grace period', async () => {
    const { clock, server, fake, options } = world()
    const first = acquireLiveTable<Comp>(fake.sync, options({ filter: { project_id: 1 } }))
    const second = acquireLiveTable<Comp>(fake.sync, { filter: { project_id: 1 }, ...options() })
    expect(second.table).toBe(first.table)
    await first.table.ready
    expect(first.table.rows.get().size).toBe(2)
    expect(server.of('rows').length).toBe(1)
    const leases = fake.leases.length
    first.release()
    second.release()
    expect(peekLiveTable(fake.sync, options({ filter: { project_id: 1 } }))).toBe(first.table)
    await run(clock, 900)
    // back within the grace period (StrictMode, a route change): the same table, nothing re-read or re-subscribed
    const third = acquireLiveTable<Comp>(fake.sync, options({ filter: { project_id: 1 } }))
    expect(third.table).toBe(first.table)
    expect(fake.leases.length).toBe(leases)
    third.release()
    await run(clock, 1000)
    expect(peekLiveTable(fake.sync, options({ filter: { project_id: 1 } }))).toBeUndefined()
    expect(fake.leases.every((lease) => lease.released)).toBe(true)
    const again = acquireLiveTable<Comp>(fake.sync, options({ filter: { project_id: 1 } }))
    expect(again.table).not.toBe(first.table)
    again.release()
    await run(clock, 1000)
  })

  it('each holder gets onChange and onError while it holds the table, and none after its release', async () => {
    const { clock, server, fake, options } = world()
    const seenA: LiveChange<Comp>[] = []
    const seenB: LiveChange<Comp>[] = []
    const errorsB: SupasyncError<string>[] = []
    const a = acquireLiveTable<Comp>(fake.sync, options({ onChange: (change: LiveChange<Comp>) => seenA.push(change) }))
    const b = acquireLiveTable<Comp>(fake.sync, options({ onChange: (change: LiveChange<Comp>) => seenB.push(change), onError: (error: SupasyncError<string>) => errorsB.push(error) }))
    await a.table.ready
    expect(seenA.length).toBe(4)
    expect(seenB.length).toBe(4)
    a.release()
    server.write({ id: 9, project_id: 1, tag: 'new', deleted_at: null })
    await a.table.refresh()
    expect(seenA.length).toBe(4)
    expect(seenB.map((change) => change.key)).toContain('9')
    server.intercept = () => ({ data: null, error: { message: 'relation "components" does not exist', code: '42P01' }, status: 404 } as never)
    await b.table.refresh().catch(() => undefined)
    expect(errorsB.length).toBeGreaterThan(0)
    b.release()
    await run(clock, 1000)
  })

  it('preloadLiveTable holds the table until its load settles and holdMs more, so a suspended render finds it again', async () => {
    const { clock, fake, options } = world()
    const table = preloadLiveTable<Comp>(fake.sync, options(), 5000)
    await table.ready
    await flush()
    expect(table.readyState).toBe('ready')
    await run(clock, 4000)
    expect(peekLiveTable(fake.sync, options())).toBe(table)
    await run(clock, 2500) // hold (5 s) + grace (1 s)
    expect(peekLiveTable(fake.sync, options())).toBeUndefined()
  })
})

describe('sameFreshness', () => {
  it('ignores the ticking stalenessMs only', () => {
    const base = { mode: 'realtime' as const, lastSyncedAt: 1, stalenessMs: 10, error: undefined }
    expect(sameFreshness(base, { ...base, stalenessMs: 2000 })).toBe(true)
    expect(sameFreshness(base, { ...base, lastSyncedAt: 2 })).toBe(false)
    expect(sameFreshness(base, { ...base, mode: 'polling' })).toBe(false)
  })
})

describe('readyState', () => {
  it('turns ready when a load that failed first succeeds on a retry (ready itself stays rejected)', async () => {
    const { clock, server, fake, options } = world()
    server.intercept = () => ({ data: null, error: { message: 'permission denied for table components', code: '42501' }, status: 403 } as never)
    const lease = acquireLiveTable<Comp>(fake.sync, options())
    await expect(lease.table.ready).rejects.toThrow(/permission denied/)
    await flush()
    expect(lease.table.readyState).toBe('failed')
    server.intercept = undefined
    await run(clock, 60_000)
    expect(lease.table.rows.get().size).toBe(4)
    expect(lease.table.readyState).toBe('ready')
    expect(lease.table.readyError).toBeUndefined()
    lease.release()
    await run(clock, 1000)
  })
})
