// The measured side of the react bench (react.bench.ts): React trees in a happy-dom document, in a child process
// forked with NODE_ENV=production (React's production build, as users ship it), so neither React's development
// checks nor the DOM globals reach the runner or the other suites.
//
// `renders`: components sharing one live table over a fake Realtime and a fake PostgREST on a manual clock (no network,
// no timer fires unless the bench moves the clock): how many components commit per change, and how long a change
// takes from its postgres_changes event to the changed row's DOM update.
//
// `live`: one tree of @supasync/react's useLiveTable and one of a hand-written hook (supabase.channel().on(
// 'postgres_changes') plus an initial select), side by side on the local stack, each on its own supabase-js client;
// every row version committed to the DOM is reported with the time (Date.now()) of its commit's layout effect.
import { memo, useEffect, useLayoutEffect, useState } from 'react'
import { createRoot, type Root } from 'react-dom/client'
import { flushSync } from 'react-dom'
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { createSupasync, type Supasync } from '../../packages/core/src/index.js'
import { parseVersion, peekLiveTable, type LiveTableOptions } from '../../packages/polling/src/index.js'
import { SupasyncProvider, useLiveTable } from '../../packages/react/src/index.js'
import { fakeSupasync, type FakeChannel } from '../../packages/core/test/fakeRealtime.js'
import { FakeServer, pgts, rtts } from '../../packages/polling/test/fakes.js'
import { installDom, type Dom } from './happyDom.js'
import { sendToParent } from './ipc.js'
import type { LinkMessage } from './childLink.js'
import { summarize } from './stats.js'

/** The same flag as in react.bench.ts (which imports only types from here: React stays out of the runner). */
const CHILD_FLAG = '--supasync-react-bench-child'

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

// ---------------------------------------------------------------------------------------------------------
// renders: components per change on one shared live table
// ---------------------------------------------------------------------------------------------------------

export interface RendersCase {
  /** 'select': each component picks its own row with `select`; 'whole': each reads the whole Map. */
  variant: 'select' | 'whole'
  /** Components holding the table, each showing a row of its own (rows 1..components). */
  components: number
  /** Rows in the table (≥ components). */
  rows: number
}

export interface RendersConfig {
  cases: RendersCase[]
  /** Measured changes per case (after `warmup` unmeasured ones). */
  changes: number
  warmup: number
  /** Measured changes where every component re-renders on each (the whole-Map variant at ≥ 10,000 components). */
  slowChanges: number
}

export interface RendersResult {
  variant: 'select' | 'whole'
  components: number
  rows: number
  changes: number
  /** Component commits per change, all components (layout effects without deps: one per commit of the component). */
  commitsPerChange: number
  /** Component function calls per change (renders, committed or not). */
  rendersPerChange: number
  /** Changes after which the changed row's component committed exactly once and no other component committed. */
  exactChanges: number
  /** postgres_changes event → the changed row's layout effect (DOM updated), ms. */
  processMs: ReturnType<typeof summarize>
  /** Mount of the components (first render, effects, the table's load from the fake server) until every row shows, ms. */
  mountMs: number
  /**
   * Component commits over one idle minute (fake clock; heartbeats answered, verification polls answered, no row
   * changed), per component: each moves freshness.lastSyncedAt, which every holder of the table subscribes to.
   */
  idleCommitsPerComponentPerMinute: number
  /** One heartbeat answer in that idle minute → its renders committed, ms. */
  heartbeatMs: ReturnType<typeof summarize>
  /** The table's freshness mode while the changes were measured. */
  mode: string
}

type Comp = { id: number; project_id: number; milestone: string; deleted_at: null; updated_at: string }

const MILESTONES = ['not_started', 'fabricated', 'delivered', 'installed', 'welded', 'tested', 'done'] as const

async function measureRenders({ variant, components, rows }: RendersCase, config: RendersConfig): Promise<RendersResult> {
  const fake = fakeSupasync({ graceMs: 1000 })
  const server = new FakeServer(fake.clock)
  const base = fake.clock.now() * 1000 - 60_000_000
  server.rows = Array.from({ length: rows }, (_, index) => ({ id: index + 1, project_id: 1, milestone: 'not_started', deleted_at: null, updated_at: pgts(base + index) }))
  // Equal options in every component (a new object per render, as written inline): one shared table.
  const options = (): LiveTableOptions<Comp> => ({ supabase: server.host, table: 'components', filter: { project_id: 1 }, pageSize: 100_000, sweepIntervalMs: false })
  const commits = new Int32Array(components + 1)
  const renders = new Int32Array(components + 1)
  let watched = -1
  let watchedAt = 0

  function Committed({ id, milestone }: { id: number; milestone: string | undefined }) {
    renders[id]!++
    useLayoutEffect(() => {
      commits[id]!++
      if (id === watched) watchedAt = performance.now()
    })
    return <li>{milestone ?? '-'}</li>
  }
  function SelectRow({ id }: { id: number }) {
    const { rows: row } = useLiveTable<Comp, Comp | undefined>(options(), { select: (rows) => rows.get(String(id)) })
    return <Committed id={id} milestone={row?.milestone} />
  }
  function WholeRow({ id }: { id: number }) {
    const { rows } = useLiveTable<Comp>(options())
    return <Committed id={id} milestone={rows.get(String(id))?.milestone} />
  }
  const Row = variant === 'select' ? SelectRow : WholeRow
  // Committed is a child of the hook's component: counting there counts what the hook re-rendered (a bail-out of
  // the hook's component would skip it). The hook's component has no memo: the list itself never re-renders.
  const ids = Array.from({ length: components }, (_, index) => index + 1)
  const container = document.createElement('div')
  document.body.appendChild(container)
  const root: Root = createRoot(container)
  const mountStarted = performance.now()
  flushSync(() =>
    root.render(
      <SupasyncProvider sync={fake.sync}>
        <ul>{ids.map((id) => <Row key={id} id={id} />)}</ul>
      </SupasyncProvider>,
    ),
  )
  // Effects subscribe (the table is acquired and starts its load); let the fake server answer and the rows show.
  for (let turn = 0; turn < 100 && container.textContent!.includes('-'); turn++) await fake.advance(10)
  const mountMs = performance.now() - mountStarted
  if (container.textContent!.includes('-')) throw new Error(`react bench (${variant}, ${components}): rows not shown after the load`)
  // Realtime goes live: the channel joins and the server confirms the postgres_changes subscription.
  for (const channel of fake.realtime.channels) {
    channel.joined()
    channel.system({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL' })
  }
  const table = peekLiveTable<Comp>(fake.sync, options())
  if (!table) throw new Error('react bench: no shared live table')
  // The socket proves itself by answered heartbeats: the table's mode becomes realtime.
  for (let second = 0; second < 30 && table.freshness.get().mode !== 'realtime'; second++) {
    await fake.advance(1000)
    if (fake.realtime.pendingHeartbeatRef !== null) fake.realtime.heartbeatOk(5)
    for (let turn = 0; turn < 3; turn++) await nextTurn()
  }
  const mode = table.freshness.get().mode
  if (mode !== 'realtime') throw new Error(`react bench (${variant}, ${components}): the table is in mode ${mode}, not realtime, after 30 s of answered heartbeats`)

  const listeners = fake.realtime.channels.flatMap((channel: FakeChannel) =>
    channel.listeners.filter((listener) => listener.type === 'postgres_changes' && listener.filter.event === '*' && listener.filter.filter === 'project_id=eq.1'),
  )
  if (listeners.length === 0) throw new Error('react bench: no postgres_changes listener for project_id=eq.1')
  let stamp = fake.clock.now() * 1000
  const deliver = (id: number, milestone: string) => {
    stamp += 1000
    const row: Comp = { id, project_id: 1, milestone, deleted_at: null, updated_at: pgts(stamp) }
    for (const listener of listeners) {
      ;(listener.callback as (payload: unknown) => void)({ schema: 'public', table: 'components', commit_timestamp: rtts(stamp), eventType: 'UPDATE', new: row, old: { id }, errors: null })
    }
  }
  const slow = variant === 'whole' && components >= 10_000
  const measured = slow ? config.slowChanges : config.changes
  const warmup = slow ? Math.min(config.warmup, 2) : config.warmup
  const times: number[] = []
  let exact = 0
  let totalCommits = 0
  let totalRenders = 0
  const sum = (array: Int32Array) => array.reduce((total, value) => total + value, 0)
  for (let change = 0; change < warmup + measured; change++) {
    const id = ids[(change * 7919) % components]!
    const milestone = MILESTONES[change % MILESTONES.length]!
    commits.fill(0)
    renders.fill(0)
    watched = id
    watchedAt = 0
    const started = performance.now()
    deliver(id, milestone)
    for (let turn = 0; watchedAt === 0; turn++) {
      if (turn > 1000) throw new Error(`react bench (${variant}, ${components}): the changed row ${id} never committed`)
      await nextTurn()
    }
    const elapsed = watchedAt - started
    // Anything else this change caused has run by now (React flushes sync updates in one pass).
    await nextTurn()
    if (change < warmup) continue
    times.push(elapsed)
    const changeCommits = sum(commits)
    totalCommits += changeCommits
    totalRenders += sum(renders)
    if (changeCommits === 1 && commits[id] === 1) exact++
  }
  if (!container.textContent!.includes(MILESTONES[(warmup + measured - 1) % MILESTONES.length]!)) throw new Error('react bench: last change not shown')

  // An idle minute: heartbeats answered (core sends one every heartbeatIntervalMs), the verification polls answered
  // by the fake server, no row changed.
  commits.fill(0)
  const heartbeatTimes: number[] = []
  for (let second = 0; second < 60; second++) {
    await fake.advance(1000)
    if (fake.realtime.pendingHeartbeatRef !== null) {
      // The answer's work: status → table freshness → every holder's listener → React's render and commit (flushed
      // in microtasks before the next macrotask turn).
      const answered = performance.now()
      fake.realtime.heartbeatOk(5)
      await nextTurn()
      heartbeatTimes.push(performance.now() - answered)
    }
    for (let turn = 0; turn < 3; turn++) await nextTurn()
  }
  const idleCommits = sum(commits)

  flushSync(() => root.unmount())
  container.remove()
  await fake.advance(2000)
  await fake.sync.destroy()
  return {
    variant,
    components,
    rows,
    changes: measured,
    commitsPerChange: totalCommits / measured,
    rendersPerChange: totalRenders / measured,
    exactChanges: exact,
    processMs: summarize(times),
    mountMs,
    idleCommitsPerComponentPerMinute: idleCommits / components,
    heartbeatMs: summarize(heartbeatTimes),
    mode,
  }
}

async function rendersMain(config: RendersConfig): Promise<void> {
  const dom = installDom()
  const results: RendersResult[] = []
  for (const entry of config.cases) {
    const result = await measureRenders(entry, config)
    console.log(`[react bench] ${entry.variant} × ${entry.components} (${entry.rows} rows): ${result.commitsPerChange} renders/change, p50 ${result.processMs.p50.toFixed(2)} ms, p99 ${result.processMs.p99.toFixed(2)} ms, idle ${result.idleCommitsPerComponentPerMinute} renders/component/min, heartbeat answer p50 ${result.heartbeatMs.p50.toFixed(2)} ms (mode ${result.mode})`)
    results.push(result)
  }
  await dom.close()
  await sendToParent({ type: 'renders', results })
  process.exit(0)
}

// ---------------------------------------------------------------------------------------------------------
// live: @supasync/react next to the hook users write today, on the local stack
// ---------------------------------------------------------------------------------------------------------

export interface LiveConfig {
  url: string
  anonKey: string
  project: number
  /** Rows of the project (what both trees show). */
  rows: number
  /** useLiveTable's maxStalenessMs (undefined: the default, 30 000). */
  maxStalenessMs: number | undefined
}

export type Side = 'supasync' | 'hand'
/** [id, version µs (updated_at), shown at (Date.now() in the commit's layout effect)] */
export type Shown = [number, number, number]

export interface LiveResult {
  shown: Record<Side, Shown[]>
  /** The hand-written channel's subscribe statuses, counted. */
  handStatuses: Record<string, number>
  /** postgres_changes callbacks the hand-written hook got. */
  handEvents: number
  /** Commits of the supasync list (the component calling useLiveTable) and of the hand-written list. */
  listCommits: Record<Side, number>
  /** The supasync table's freshness modes as they changed: [mode, Date.now()]. */
  modes: [string, number][]
  errors: string[]
}

export type Component = { id: number; project_id: number; milestone: string; updated_at: string }

/** One row of either list: reports every version it commits to the DOM. */
const LiveRow = memo(function LiveRow({ row, report }: { row: Component; report: (id: number, updatedAt: string) => void }) {
  useLayoutEffect(() => {
    report(row.id, row.updated_at)
  }, [row.updated_at, row.id, report])
  return <li data-id={row.id}>{row.milestone}</li>
})

/**
 * The anchor: the hook as users write it today (supabase-js docs and countless apps): one initial select, one
 * channel with a postgres_changes listener that patches the state, removeChannel on unmount. No catch-up after a
 * reconnect, no check of what a lost event left out.
 */
function useComponentsByHand(supabase: SupabaseClient, projectId: number, onStatus: (status: string) => void, onEvent: () => void): Component[] {
  const [rows, setRows] = useState<Component[]>([])
  useEffect(() => {
    supabase
      .from('components')
      .select('*')
      .eq('project_id', projectId)
      .then(({ data }) => {
        if (data) setRows(data as Component[])
      })
    const channel = supabase
      .channel(`components-${projectId}`)
      .on('postgres_changes', { event: '*', schema: 'public', table: 'components', filter: `project_id=eq.${projectId}` }, (payload) => {
        onEvent()
        setRows((current) => {
          if (payload.eventType === 'DELETE') return current.filter((row) => row.id !== (payload.old as Component).id)
          const row = payload.new as Component
          const index = current.findIndex((existing) => existing.id === row.id)
          if (index < 0) return [...current, row]
          const next = current.slice()
          next[index] = row
          return next
        })
      })
      .subscribe((status) => onStatus(status))
    return () => {
      void supabase.removeChannel(channel)
    }
  }, [supabase, projectId])
  return rows
}

function createLiveClient(config: LiveConfig, name: string): SupabaseClient {
  return createClient(config.url, config.anonKey, {
    // A storage key each: two clients in one "browser context" (happy-dom's window) otherwise warn.
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false, storageKey: `sb-react-bench-${name}` },
    realtime: { transport: WebSocket as never },
  })
}

async function liveMain(config: LiveConfig): Promise<void> {
  const dom: Dom = installDom()
  const errors: string[] = []
  const onError = (error: Error) => {
    if (errors.length < 20) errors.push(`${new Date().toISOString()} ${error.message}`)
  }
  const shown: Record<Side, Shown[]> = { supasync: [], hand: [] }
  const reporter = (side: Side) => (id: number, updatedAt: string) => {
    const version = parseVersion(updatedAt)
    if (version !== undefined) shown[side].push([id, version, Date.now()])
  }
  const reportSupasync = reporter('supasync')
  const reportHand = reporter('hand')
  const listCommits: Record<Side, number> = { supasync: 0, hand: 0 }
  const handStatuses: Record<string, number> = {}
  let handEvents = 0
  let handSubscribed = false
  const modes: [string, number][] = []

  const supasyncClient = createLiveClient(config, 'supasync')
  const sync: Supasync = createSupasync(supasyncClient, { onError })
  const handClient = createLiveClient(config, 'hand')
  const options: LiveTableOptions<Component> = { table: 'components', filter: { project_id: config.project }, onError, ...(config.maxStalenessMs === undefined ? {} : { maxStalenessMs: config.maxStalenessMs }) }

  function SupasyncList() {
    const { rows, freshness } = useLiveTable<Component>({ ...options })
    useLayoutEffect(() => {
      listCommits.supasync++
    })
    useEffect(() => {
      if (modes.at(-1)?.[0] !== freshness.mode) modes.push([freshness.mode, Date.now()])
    }, [freshness.mode])
    return (
      <ul data-mode={freshness.mode}>
        {[...rows.values()].map((row) => (
          <LiveRow key={row.id} row={row} report={reportSupasync} />
        ))}
      </ul>
    )
  }
  function HandList() {
    const rows = useComponentsByHand(
      handClient,
      config.project,
      (status) => {
        handStatuses[status] = (handStatuses[status] ?? 0) + 1
        if (status === 'SUBSCRIBED') handSubscribed = true
      },
      () => handEvents++,
    )
    useLayoutEffect(() => {
      listCommits.hand++
    })
    return (
      <ul>
        {rows.map((row) => (
          <LiveRow key={row.id} row={row} report={reportHand} />
        ))}
      </ul>
    )
  }

  const containers = { supasync: document.createElement('div'), hand: document.createElement('div') }
  document.body.append(containers.supasync, containers.hand)
  const roots = { supasync: createRoot(containers.supasync), hand: createRoot(containers.hand) }
  roots.supasync.render(
    <SupasyncProvider sync={sync}>
      <SupasyncList />
    </SupasyncProvider>,
  )
  roots.hand.render(<HandList />)
  const started = Date.now()
  const count = (side: Side) => containers[side].querySelectorAll('li').length
  while (!(count('supasync') === config.rows && count('hand') === config.rows && handSubscribed && containers.supasync.querySelector('ul')?.getAttribute('data-mode') === 'realtime')) {
    if (Date.now() - started > 60_000) {
      throw new Error(`react bench: trees not ready within 60 s (supasync ${count('supasync')} rows, mode ${containers.supasync.querySelector('ul')?.getAttribute('data-mode')}; hand ${count('hand')} rows, statuses ${JSON.stringify(handStatuses)})`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  // Realtime-js says SUBSCRIBED before the server has the postgres_changes subscription in place: let it settle.
  await new Promise((resolve) => setTimeout(resolve, 1000))

  let finishing = false
  process.on('message', (message: LinkMessage) => {
    if (message.type !== 'finish' || finishing) return
    finishing = true
    void (async () => {
      const result: LiveResult = { shown, handStatuses, handEvents, listCommits, modes, errors }
      await sendToParent({ type: 'result', ...result })
      roots.supasync.unmount()
      roots.hand.unmount()
      await Promise.race([sync.destroy(), new Promise((resolve) => setTimeout(resolve, 5000))])
      await Promise.race([handClient.removeAllChannels(), new Promise((resolve) => setTimeout(resolve, 5000))])
      handClient.realtime.disconnect()
      supasyncClient.realtime.disconnect()
      await dom.close()
      process.exit(0)
    })()
  })
  await sendToParent({ type: 'ready', loadMs: Date.now() - started })
}

if (process.argv[2] === CHILD_FLAG) {
  const mode = process.argv[3]
  const config = JSON.parse(process.argv[4]!) as unknown
  const main = mode === 'renders' ? rendersMain(config as RendersConfig) : mode === 'live' ? liveMain(config as LiveConfig) : Promise.reject(new Error(`unknown mode ${mode}`))
  main.catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
