// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { Suspense, useState } from 'react'
import { FakeServer, pgts } from '../../polling/test/fakes.js'
import { useLiveTable, useLiveTableSuspense } from '../src/index.js'
import { act, Counted, world } from './setup.js'

type Comp = { id: number; project_id: number; tag: string; updated_at: string }

function setup(rows = 10) {
  const w = world()
  const server = new FakeServer(w.clock)
  const base = w.clock.now() * 1000 - 60_000_000
  server.rows = Array.from({ length: rows }, (_, index) => ({ id: index + 1, project_id: 1, tag: `C-${index + 1}`, deleted_at: null, updated_at: pgts(base + index) }))
  // A new object on every render, as users write it inline.
  const options = () => ({ supabase: server.host, table: 'components', filter: { project_id: 1 }, pageSize: 100_000, sweepIntervalMs: false as const })
  return { ...w, server, options }
}

describe('useLiveTable', () => {
  it('loads the rows; StrictMode, re-renders with equal inline options and a remount within the grace period share one table and one load', async () => {
    const w = setup()
    let bump: () => void = () => {}
    function List() {
      const [, setN] = useState(0)
      bump = () => setN((n) => n + 1)
      const { rows, loading } = useLiveTable<Comp>(w.options())
      return <span>{loading ? 'loading' : rows.size}</span>
    }
    const view = w.mount(<List />)
    await w.advance(100)
    expect(view.container.textContent).toBe('10')
    for (let i = 0; i < 3; i++) await act(() => bump())
    view.unmount()
    await w.advance(500)
    const again = w.mount(<List />)
    // The table another mount left in its grace period shows at once: no empty first render.
    expect(again.container.textContent).toBe('10')
    await w.advance(100)
    expect(w.server.of('rows').length).toBe(1)
    expect(w.realtime.subscribes).toBe(1)
    again.unmount()
    await w.advance(1100)
    expect(w.sync.diagnostics()).toMatchObject({ shared: 0, changeLeases: 0 })
    await w.sync.destroy()
  })

  it('100,000 rows, one changes: the component that selected another row renders 0 times, the one that selected it once', async () => {
    const w = setup(100_000)
    const counts = new Map<string, number>()
    function Row({ id }: { id: string }) {
      const { rows: row } = useLiveTable<Comp, Comp | undefined>(w.options(), { select: (rows) => rows.get(id) })
      return <span>{row?.tag ?? '-'}</span>
    }
    const view = w.mount(
      <>
        <Counted id="changed" counts={counts}><Row id="7" /></Counted>
        <Counted id="other" counts={counts}><Row id="8" /></Counted>
      </>,
    )
    await w.advance(100)
    expect(view.container.textContent).toBe('C-7C-8')
    const table = (await import('@supasync/polling')).peekLiveTable<Comp>(w.sync, w.options())!
    expect(table.rows.get().size).toBe(100_000)
    counts.clear()
    w.server.write({ id: 7, project_id: 1, tag: 'welded', deleted_at: null })
    await act(() => table.refresh())
    expect(view.container.textContent).toBe('welded' + 'C-8')
    expect(counts.get('changed')).toBe(1)
    expect(counts.get('other')).toBeUndefined()
    view.unmount()
    await w.sync.destroy()
  }, 30_000)

  it('freshness re-renders on mode and lastSyncedAt changes, not every second; staleness: true ticks', async () => {
    const w = setup()
    const seen: { quiet: string[]; ticking: number[] } = { quiet: [], ticking: [] }
    function Quiet() {
      const { freshness } = useLiveTable<Comp>(w.options())
      seen.quiet.push(`${freshness.mode}@${freshness.lastSyncedAt}`)
      return null
    }
    function Ticking() {
      const { freshness } = useLiveTable<Comp>(w.options(), { staleness: true })
      seen.ticking.push(freshness.stalenessMs)
      return null
    }
    w.mount(<><Quiet /><Ticking /></>)
    await w.advance(200)
    const quietBefore = seen.quiet.length
    const tickingBefore = seen.ticking.length
    await w.advance(5000)
    // Every render of Quiet showed a different (mode, lastSyncedAt): none was for the ticking staleness alone.
    const quietRenders = seen.quiet.slice(quietBefore)
    for (let index = 1; index < quietRenders.length; index++) expect(quietRenders[index]).not.toBe(quietRenders[index - 1])
    expect(quietRenders.length).toBeLessThanOrEqual(2)
    expect(seen.ticking.length - tickingBefore).toBeGreaterThanOrEqual(4)
    await w.sync.destroy()
  })

  it('switches tables when the filter changes and releases the old one after the grace period', async () => {
    const w = setup()
    w.server.rows.push({ id: 99, project_id: 2, tag: 'other', deleted_at: null, updated_at: pgts(w.clock.now() * 1000 - 1) })
    let setProject: (id: number) => void = () => {}
    function List() {
      const [project, set] = useState(1)
      setProject = set
      const { rows } = useLiveTable<Comp>({ ...w.options(), filter: { project_id: project } })
      return <span>{rows.size}</span>
    }
    const view = w.mount(<List />)
    await w.advance(100)
    expect(view.container.textContent).toBe('10')
    await act(() => setProject(2))
    await w.advance(100)
    expect(view.container.textContent).toBe('1')
    expect(w.sync.diagnostics().shared).toBe(2) // the old one in its grace period
    await w.advance(1000)
    expect(w.sync.diagnostics().shared).toBe(1)
    view.unmount()
    await w.advance(1100)
    expect(w.sync.diagnostics()).toMatchObject({ shared: 0 })
    await w.sync.destroy()
  })

  it('invalid options throw at render with the fix in the message', () => {
    const w = setup()
    function Bad() {
      useLiveTable({ ...w.options(), table: 'drop table x' })
      return null
    }
    expect(() => w.mount(<Bad />)).toThrow(/table must be a plain identifier/)
  })
})

describe('useLiveTableSuspense', () => {
  it('suspends until the first read, then renders the rows; one table for the suspended and the committed render', async () => {
    const w = setup()
    function List() {
      const { rows } = useLiveTableSuspense<Comp>(w.options())
      return <span>{rows.size} rows</span>
    }
    const view = w.mount(<Suspense fallback={<span>loading</span>}><List /></Suspense>)
    expect(view.container.textContent).toBe('loading')
    await w.advance(100)
    await act(async () => {})
    expect(view.container.textContent).toBe('10 rows')
    expect(w.server.of('rows').length).toBe(1)
    view.unmount()
    await w.advance(12_000)
    expect(w.sync.diagnostics().shared).toBe(0)
    await w.sync.destroy()
  })

  it('throws a failed first read to the error boundary', async () => {
    const w = setup()
    w.server.intercept = () => ({ data: null, error: { message: 'permission denied for table components', code: '42501' }, status: 403 } as never)
    const { ErrorBoundary } = await import('./ErrorBoundary.js')
    function List() {
      useLiveTableSuspense<Comp>(w.options())
      return <span>rows</span>
    }
    const view = w.mount(<ErrorBoundary><Suspense fallback={<span>loading</span>}><List /></Suspense></ErrorBoundary>)
    await w.advance(100)
    await act(async () => {})
    expect(view.container.textContent).toMatch(/error: .*permission denied/)
    view.unmount()
    await w.sync.destroy()
  })
})

describe('useLiveTable when nothing changes', () => {
  it('an idle minute in realtime mode (heartbeats, verification polls) re-renders a component that selected a row 0 times, one that shows freshness only when it changes', async () => {
    const w = world()
    const server = new FakeServer(w.clock)
    server.rows = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, project_id: 1, tag: `C-${i + 1}`, deleted_at: null, updated_at: pgts(w.clock.now() * 1000 - 60_000_000 + i) }))
    const options = () => ({ supabase: server.host, table: 'components', filter: { project_id: 1 }, sweepIntervalMs: false as const })
    const counts = new Map<string, number>()
    function Row() {
      const { rows: row } = useLiveTable<Comp, Comp | undefined>(options(), { select: (rows) => rows.get('7') })
      return <span>{row?.tag ?? '-'}</span>
    }
    const view = w.mount(<Counted id="row" counts={counts}><Row /></Counted>)
    await w.advance(100)
    await w.joinAll()
    await act(async () => { for (const c of w.realtime.channels) c.system({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL' }) })
    const table = (await import('@supasync/polling')).peekLiveTable<Comp>(w.sync, options())!
    for (let s = 0; s < 10 && table.freshness.get().mode !== 'realtime'; s++) { await w.advance(1000); if (w.realtime.pendingHeartbeatRef) await act(() => w.realtime.heartbeatOk(5)) }
    expect(table.freshness.get().mode).toBe('realtime')
    expect(view.container.textContent).toBe('C-7')
    counts.clear()
    // One idle minute: no row changes; answer every heartbeat core sends (every 5 s by default).
    for (let s = 0; s < 60; s++) { await w.advance(1000); if (w.realtime.pendingHeartbeatRef) await act(() => w.realtime.heartbeatOk(5)) }
    expect(counts.get('row') ?? 0).toBe(0)
    view.unmount()
    await w.sync.destroy()
  })
})
