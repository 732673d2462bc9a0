// Benchmark of @supasync/react (`BENCH_ONLY=react npm run bench`, or alone: npx tsx test/bench/react.bench.ts).
//
// 1. Renders per change. 1 / 100 / 10,000 components share one live table (equal options: acquireLiveTable shares
//    one table) of 10,000 rows; each component picks one row of its own with `select: rows => rows.get(id)`. One row
//    changes (a postgres_changes UPDATE delivered through core's change router to the table): how many components
//    commit (a layout effect without deps in each: one per commit of that component; the target is exactly 1, the
//    component of the changed row) and how long from the event to the changed row's layout effect (DOM updated),
//    p50/p99 over 100 changes. The same without `select` (every component reads the whole Map): N commits per
//    change (10 changes at 10,000 components), what `select` saves; and one component on a 100,000-row table (the
//    cost of a change grows with the table: the rows store hands out a new Map per change). A fake Realtime
//    (packages/core/test/fakeRealtime.ts) and a fake PostgREST (packages/polling/test/fakes.ts) on a manual clock:
//    no network and no timer in the measurement. Also counted: each component's commits over one idle minute
//    (heartbeats and verification polls answered, no row changed).
//
// 2. Commit → rendered on the local stack (real Postgres, PostgREST, our Realtime server, unmodified supabase-js).
//    One happy-dom document holds two React roots, each on its own supabase-js client: useLiveTable({ table,
//    filter: { project_id: 1 } }) and the hook users write today (one select, then supabase.channel().on(
//    'postgres_changes', { filter: 'project_id=eq.1' }, patch the state).subscribe(), removeChannel on unmount).
//    Both render the same memoized row component, whose layout effect reports every version it puts in the DOM.
//    The runner writes one row of the project at a time through PostgREST (Poisson, RATE/s; each row once, in a
//    random order, so a later version of a row cannot stand in for a lost write of it) with
//    .select('updated_at'): the commit time of a write is its server-stamped updated_at (supasync.touch_updated_at,
//    clock_timestamp() in the BEFORE UPDATE trigger, a few ms before COMMIT). A write counts as visible on a side
//    once that side's DOM shows that version of the row or a newer one; never shown counts as not visible. Phases,
//    the same faults for both sides: healthy, sockets dropped (every PHASE/3), heartbeats blackholed, 30 % of
//    changes lost; then the writes stop and every write gets its full 30 s (the default maxStalenessMs, the budget).
//
// 3. Size: packages/react/dist/index.js bundled by esbuild (minify, ESM) without its peers (react, @supasync/*,
//    use-sync-external-store external), gzip level 9 (node:zlib); and with use-sync-external-store/with-selector
//    bundled in (its production CJS: process.env.NODE_ENV defined as "production").
//
// The React trees run in child processes forked with NODE_ENV=production (React's production build, as shipped):
// the DOM globals and React stay out of this process and out of the other suites.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { startLocalStack, type LocalStack } from '../../packages/local/src/index.js'
import { parseVersion } from '../../packages/polling/src/index.js'
import { ChildLink, type LinkMessage } from './childLink.js'
import type { LiveConfig, LiveResult, RendersConfig, RendersResult, Shown, Side } from './reactChild.js'
import { runAlone } from './runAlone.js'
import { sleep } from './waitUntil.js'
import { summarize, type Figure } from './stats.js'

const SUITE = 'react'
const CHILD = fileURLToPath(new URL('./reactChild.tsx', import.meta.url))
const CHILD_FLAG = '--supasync-react-bench-child'
const PRODUCTION = { NODE_ENV: 'production' }

const round = (value: number, digits = 1) => (Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : value)

// ---------------------------------------------------------------------------------------------------------
// 1. renders per change
// ---------------------------------------------------------------------------------------------------------

const TABLE_ROWS = 10_000
const COUNTS = [1, 100, 10_000]
/** The cost of a change grows with the table, not only with its holders: one holder of a 100,000-row table. */
const LARGE_TABLE_ROWS = 100_000
const RENDERS: RendersConfig = {
  cases: [
    ...COUNTS.map((components) => ({ variant: 'select' as const, components, rows: TABLE_ROWS })),
    ...COUNTS.map((components) => ({ variant: 'whole' as const, components, rows: TABLE_ROWS })),
    { variant: 'select', components: 1, rows: LARGE_TABLE_ROWS },
  ],
  changes: 100,
  warmup: 5,
  slowChanges: 10,
}

async function rendersFigures(): Promise<Figure[]> {
  const link = ChildLink.fork(CHILD, [CHILD_FLAG, 'renders', JSON.stringify(RENDERS)], ['--expose-gc'], 'react bench child "renders"', PRODUCTION)
  let results: RendersResult[]
  try {
    results = (await link.next<LinkMessage & { results: RendersResult[] }>('renders', 5 * 60_000)).results
  } finally {
    await link.close()
  }
  const figures: Figure[] = []
  for (const result of results) {
    const n = result.components.toLocaleString('en')
    const rows = `${result.rows.toLocaleString('en')}-row table`
    const label = result.variant === 'select' ? `${n} component${result.components === 1 ? '' : 's'} with select (one row each), ${rows}` : `${n} component${result.components === 1 ? '' : 's'} reading the whole Map (no select), ${rows}`
    const details = {
      components: result.components,
      tableRows: result.rows,
      changes: result.changes,
      exactChanges: result.exactChanges,
      rendersPerChange: result.rendersPerChange,
      mode: result.mode,
      mountMs: round(result.mountMs),
      idleCommitsPerComponentPerMinute: result.idleCommitsPerComponentPerMinute,
    }
    if (result.variant === 'select') {
      figures.push({
        suite: SUITE,
        name: `renders per change, ${label}`,
        value: result.commitsPerChange,
        unit: 'renders',
        target: '= 1',
        ok: result.exactChanges === result.changes,
        details: { ...details, note: 'component commits per change, all components; exactChanges: changes after which only the changed row\'s component committed, once' },
      })
    } else {
      // No target: every holder re-renders by design; the figure shows what select saves.
      figures.push({ suite: SUITE, name: `renders per change, ${label}`, value: result.commitsPerChange, unit: 'renders', details: { ...details, expected: result.components } })
    }
    const time = result.processMs
    const timeDetails = { p50: round(time.p50, 2), p90: round(time.p90, 2), p99: round(time.p99, 2), max: round(time.max, 2), mean: time.mean, changes: time.count }
    for (const p of ['p50', 'p99'] as const) {
      figures.push({
        suite: SUITE,
        name: `time to process one change (event → changed row's DOM updated), ${label}, ${p}`,
        value: round(time[p], 2),
        unit: 'ms',
        details: p === 'p50' ? timeDetails : undefined,
      })
    }
  }
  // Freshness re-renders: every useLiveTable subscribes to freshness, select or not (see the note in details).
  const idle = results.find((result) => result.variant === 'select' && result.components === Math.max(...COUNTS) && result.rows === TABLE_ROWS)
  if (idle) {
    figures.push({
      suite: SUITE,
      name: `idle renders per component per minute (no row changed; realtime mode, heartbeats + verification polls answered), ${idle.components.toLocaleString('en')} components with select`,
      value: idle.idleCommitsPerComponentPerMinute,
      unit: 'renders/min',
      details: {
        perCase: Object.fromEntries(results.map((result) => [`${result.variant} × ${result.components} (${result.rows} rows)`, result.idleCommitsPerComponentPerMinute])),
        note: 'every heartbeat answer (core default every 5 s) and every verification poll moves freshness.lastSyncedAt in realtime mode, and useLiveTable re-renders on it even when the component reads only select(rows)',
      },
    })
    const beat = idle.heartbeatMs
    figures.push({
      suite: SUITE,
      name: `one idle heartbeat answer → every holder re-rendered, ${idle.components.toLocaleString('en')} components with select, p50`,
      value: round(beat.p50, 1),
      unit: 'ms',
      details: { p50: round(beat.p50, 2), p99: round(beat.p99, 2), max: round(beat.max, 2), heartbeats: beat.count, perCase: Object.fromEntries(results.map((result) => [`${result.variant} × ${result.components} (${result.rows} rows)`, round(result.heartbeatMs.p50, 2)])) },
    })
  }
  return figures
}

// ---------------------------------------------------------------------------------------------------------
// 2. commit → rendered on the local stack, next to the hand-written hook
// ---------------------------------------------------------------------------------------------------------

const PROJECT = 1
/** Rows of the project: PostgREST's max-rows (1000 on the local stack, as on hosted Supabase) caps the hand-written select. */
const ROWS = 1000
/**
 * Each row is written once, in a random order (only past ROWS writes may a row come again, and not within this long),
 * so a later version of a row cannot stand in for a lost write of it.
 */
const REWRITE_AFTER_MS = 35_000
/** Writes per second (one row each, through PostgREST): about 800 over the four phases, fewer than ROWS. */
const RATE = 8
/** Seconds per phase; BENCH_REACT_PHASE_S shortens it for development. */
const PHASE_S = Number(process.env.BENCH_REACT_PHASE_S ?? 25)
/** The visibility budget: useLiveTable's default maxStalenessMs. */
const BUDGET_MS = 30_000
const MILESTONES = ['not_started', 'fabricated', 'delivered', 'installed', 'welded', 'tested', 'done'] as const

type PhaseName = 'healthy' | 'drops' | 'blackhole' | 'lossy'
const PHASES: PhaseName[] = ['healthy', 'drops', 'blackhole', 'lossy']
const PHASE_LABEL: Record<PhaseName, string> = {
  healthy: 'healthy',
  drops: 'sockets dropped',
  blackhole: 'heartbeats blackholed',
  lossy: '30 % of changes lost',
}
const SIDE_LABEL: Record<Side, string> = { supasync: 'useLiveTable', hand: 'hand-written useEffect + channel' }

async function schemaSql(): Promise<string[]> {
  const migration = await readFile(new URL('../../packages/polling/sql/supasync-polling.sql', import.meta.url), 'utf8')
  return [
    migration,
    `
create table public.components (
  id bigint primary key, project_id bigint not null, milestone text not null default 'not_started',
  updated_at timestamptz not null default now());
create index components_project_id_idx on public.components (project_id);
alter table public.components enable row level security;
create policy everyone_reads on public.components for select to anon, authenticated using (true);
grant select on public.components to anon, authenticated;
select supasync.enable_polling('public.components');
alter publication supabase_realtime add table public.components;
-- the project both trees show, and another one the filter leaves out
insert into public.components (id, project_id) select g, case when g <= ${ROWS} then ${PROJECT} else ${PROJECT + 1} end from generate_series(1, ${2 * ROWS}) g;
`,
  ]
}

interface WriteRecord {
  id: number
  phase: PhaseName
  /** Server-stamped updated_at of the version written, µs since the epoch. */
  version: number
}

/** Single-row updates of the project's rows through PostgREST (service role), paced as a Poisson process. */
function startWriter(stack: LocalStack, phase: () => PhaseName) {
  const client = stack.createClient({ key: stack.serviceRoleKey })
  const writes: WriteRecord[] = []
  const failures: string[] = []
  let failed = 0
  let stopped = false
  const inflight = new Set<Promise<void>>()
  const lastWritten = new Map<number, number>()
  const order = Array.from({ length: ROWS }, (_, index) => index + 1)
  for (let index = order.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1))
    ;[order[index], order[other]] = [order[other]!, order[index]!]
  }
  const pick = () => {
    const now = Date.now()
    const fresh = order.pop()
    if (fresh !== undefined) {
      lastWritten.set(fresh, now)
      return fresh
    }
    for (;;) {
      const id = 1 + Math.floor(Math.random() * ROWS)
      if (now - (lastWritten.get(id) ?? -Infinity) > REWRITE_AFTER_MS) {
        lastWritten.set(id, now)
        return id
      }
    }
  }
  const one = async () => {
    const id = pick()
    const milestone = MILESTONES[Math.floor(Math.random() * MILESTONES.length)]!
    const current = phase()
    const { data, error } = await client.from('components').update({ milestone }).eq('id', id).select('updated_at')
    const version = parseVersion((data as { updated_at?: string }[] | null)?.[0]?.updated_at)
    if (error || version === undefined) {
      failed++
      if (failures.length < 5) failures.push(error?.message ?? `no row returned for ${id}`)
      return
    }
    writes.push({ id, phase: current, version })
  }
  const loop = (async () => {
    const started = performance.now()
    let due = 0
    while (!stopped) {
      due += (-Math.log(1 - Math.random()) * 1000) / RATE
      const wait = started + due - performance.now()
      if (wait > 1) await sleep(wait)
      if (stopped) break
      const promise = one().catch((error: unknown) => {
        failed++
        if (failures.length < 5) failures.push(String(error))
      })
      inflight.add(promise)
      void promise.finally(() => inflight.delete(promise))
    }
  })()
  return {
    writes,
    stats: () => ({ failed, failures }),
    async stop() {
      stopped = true
      await loop
      await Promise.all([...inflight])
    },
  }
}

interface Visibility {
  write: WriteRecord
  /** commit → shown, ms; undefined: never shown */
  latency: number | undefined
}

function visibilities(writes: WriteRecord[], shown: Shown[]): Visibility[] {
  const byId = new Map<number, Shown[]>()
  for (const entry of shown) {
    let list = byId.get(entry[0])
    if (!list) byId.set(entry[0], (list = []))
    list.push(entry)
  }
  return writes.map((write) => {
    let first: number | undefined
    for (const [, version, at] of byId.get(write.id) ?? []) {
      if (version >= write.version && (first === undefined || at < first)) first = at
    }
    return { write, latency: first === undefined ? undefined : Math.max(0, first - write.version / 1000) }
  })
}

function phaseSummary(list: Visibility[]) {
  const seen = list.filter((entry) => entry.latency !== undefined).map((entry) => entry.latency!)
  const within = seen.filter((latency) => latency <= BUDGET_MS).length
  const stats = summarize(seen)
  return {
    writes: list.length,
    shown: seen.length,
    neverShown: list.length - seen.length,
    withinBudget: within,
    sharePercent: list.length === 0 ? Number.NaN : round((within / list.length) * 100, 2),
    p50: round(stats.p50),
    p90: round(stats.p90),
    p99: round(stats.p99),
    max: round(stats.max),
    mean: round(stats.mean),
  }
}

async function liveFigures(): Promise<Figure[]> {
  const figures: Figure[] = []
  const stack = await startLocalStack({ sql: await schemaSql() })
  let link: ChildLink | undefined
  let writer: ReturnType<typeof startWriter> | undefined
  try {
    const config: LiveConfig = { url: stack.url, anonKey: stack.anonKey, project: PROJECT, rows: ROWS, maxStalenessMs: undefined }
    link = ChildLink.fork(CHILD, [CHILD_FLAG, 'live', JSON.stringify(config)], [], 'react bench child "live"', PRODUCTION)
    const ready = await link.next<LinkMessage & { loadMs: number }>('ready', 90_000)
    console.log(`[react bench] both trees show ${ROWS} rows, useLiveTable in mode realtime (${ready.loadMs} ms)`)

    let phase: PhaseName = 'healthy'
    const phaseStarts: Record<string, number> = {}
    const enter = (next: PhaseName) => {
      phase = next
      phaseStarts[next] = Date.now()
      console.log(`[react bench] phase ${next}`)
    }
    const phaseMs = PHASE_S * 1000
    enter('healthy')
    writer = startWriter(stack, () => phase)
    await sleep(phaseMs)
    enter('drops')
    for (let drop = 0; drop < 3; drop++) {
      stack.faults.dropConnections()
      await sleep(phaseMs / 3)
    }
    enter('blackhole')
    stack.faults.blackholeHeartbeats(true)
    await sleep(phaseMs)
    stack.faults.blackholeHeartbeats(false)
    enter('lossy')
    stack.faults.dropChanges(0.3)
    await sleep(phaseMs)
    const active = writer
    writer = undefined
    await active.stop()
    stack.faults.dropChanges(0)
    const lastCommit = Math.max(...active.writes.map((write) => write.version / 1000))
    // Every write gets its full budget (a fixed wait is the measurement, not a synchronisation).
    await sleep(Math.max(0, lastCommit + BUDGET_MS + 1000 - Date.now()))
    link.send({ type: 'finish' })
    const result = await link.next<LinkMessage & LiveResult>('result', 60_000)
    await link.close()
    link = undefined

    const writes = active.writes
    const writeStats = active.stats()
    figures.push({
      suite: SUITE,
      name: `writes through PostgREST (~${RATE}/s, ${PHASE_S} s per phase, ${ROWS.toLocaleString('en')} rows shown by each tree)`,
      value: writes.length,
      unit: 'writes',
      details: { ...writeStats, perPhase: Object.fromEntries(PHASES.map((name) => [name, writes.filter((write) => write.phase === name).length])) },
    })
    for (const side of ['supasync', 'hand'] as const) {
      const list = visibilities(writes, result.shown[side])
      for (const name of PHASES) {
        const summary = phaseSummary(list.filter((entry) => entry.write.phase === name))
        const ofSeen = side === 'hand' ? ' (of writes shown)' : ''
        for (const p of ['p50', 'p99'] as const) {
          const target = side === 'supasync' && p === 'p99' ? `≤ ${BUDGET_MS}` : undefined
          figures.push({
            suite: SUITE,
            name: `${SIDE_LABEL[side]}: commit → DOM updated, ${PHASE_LABEL[name]}, ${p}${ofSeen}`,
            value: summary[p],
            unit: 'ms',
            target,
            ok: target === undefined ? undefined : summary.p99 <= BUDGET_MS && summary.neverShown === 0,
            details: p === 'p50' ? summary : undefined,
          })
        }
        figures.push({
          suite: SUITE,
          name: `${SIDE_LABEL[side]}: share of writes shown within 30 s, ${PHASE_LABEL[name]}`,
          value: summary.sharePercent,
          unit: '%',
          target: side === 'supasync' ? '100' : undefined,
          ok: side === 'supasync' ? summary.withinBudget === summary.writes : undefined,
          details: { writes: summary.writes, withinBudget: summary.withinBudget, neverShown: summary.neverShown },
        })
      }
      const all = phaseSummary(list)
      figures.push({
        suite: SUITE,
        name: `${SIDE_LABEL[side]}: share of writes shown within 30 s, all phases`,
        value: all.sharePercent,
        unit: '%',
        target: side === 'supasync' ? '100' : undefined,
        ok: side === 'supasync' ? all.withinBudget === all.writes : undefined,
        details: {
          ...all,
          listCommits: result.listCommits[side],
          ...(side === 'hand' ? { statuses: result.handStatuses, events: result.handEvents } : { modes: result.modes.map(([mode, at]) => `${mode}@${round((at - phaseStarts.healthy!) / 1000)}s`) }),
        },
      })
    }
    figures.push({ suite: SUITE, name: 'errors reported by supasync in the live run (onError)', value: result.errors.length, unit: 'errors', details: { first: result.errors.slice(0, 10) } })
  } finally {
    if (writer) await writer.stop().catch(() => {})
    if (link) {
      link.send({ type: 'finish' })
      await link.close()
    }
    await stack.stop()
  }
  return figures
}

// ---------------------------------------------------------------------------------------------------------
// 3. size
// ---------------------------------------------------------------------------------------------------------

async function bundleSize(withSelector: boolean): Promise<{ minified: number; gzip: number; inputs: string[] }> {
  const entry = fileURLToPath(new URL('../../packages/react/dist/index.js', import.meta.url))
  if (!existsSync(entry)) throw new Error(`react bench: ${entry} is missing; run npm run build first`)
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
    external: ['react', 'react/*', '@supasync/*', '@supabase/*', ...(withSelector ? [] : ['use-sync-external-store', 'use-sync-external-store/*'])],
    define: { 'process.env.NODE_ENV': '"production"' },
  })
  const code = result.outputFiles[0]!.contents
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length, inputs: Object.keys(result.metafile.inputs) }
}

async function sizeFigures(): Promise<Figure[]> {
  const bare = await bundleSize(false)
  const full = await bundleSize(true)
  if (!full.inputs.some((input) => input.includes('with-selector.production'))) throw new Error(`react bench: the with-selector bundle did not pick the production CJS (${full.inputs.join(', ')})`)
  return [
    { suite: SUITE, name: '@supasync/react min+gz without its peers (react, @supasync/*, use-sync-external-store external)', value: bare.gzip, unit: 'B', target: '≤ 3072 (3 KB)', ok: bare.gzip <= 3072, details: { minified: bare.minified, inputs: bare.inputs } },
    { suite: SUITE, name: '@supasync/react min+gz with use-sync-external-store/with-selector (production CJS) bundled', value: full.gzip, unit: 'B', details: { minified: full.minified, inputs: full.inputs } },
  ]
}

/** BENCH_REACT_PARTS=size,renders,live (any of them) runs only those parts, for development; unset: all three. */
const PARTS = (process.env.BENCH_REACT_PARTS ?? 'size,renders,live').split(',').map((part) => part.trim())

export async function benchReact(): Promise<Figure[]> {
  const started = performance.now()
  const figures: Figure[] = []
  if (PARTS.includes('size')) figures.push(...(await sizeFigures()))
  if (PARTS.includes('renders')) figures.push(...(await rendersFigures()))
  if (PARTS.includes('live')) figures.push(...(await liveFigures()))
  console.log(`[react bench] done in ${Math.round((performance.now() - started) / 1000)} s`)
  return figures
}

runAlone(import.meta.url, benchReact)
