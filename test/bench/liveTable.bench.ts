// Benchmark of @supasync/polling (createLiveTable) against a local stack, side by side with raw realtime-js,
// under a schedule of Realtime faults, with the real budget (maxStalenessMs 30 000, every other option default).
//
// Scenario (the construction demo, examples/demo-schema.sql with RLS by project membership):
// - 1,000,000 components across 10 projects, seeded with generate_series as the superuser while Realtime is
//   stopped (a 1M-row transaction would otherwise be decoded by the local Realtime server in one poll).
// - 50 writers ("foremen", 5 members per project), each its own supabase-js client signed in as its own user,
//   update the milestone of random components of their project through PostgREST at RATE updates/s in total
//   (a Poisson process, so the writes do not lock into a phase with any poll interval).
// - 10 project-manager observers, one per project, each its own supabase-js client + createSupasync +
//   createLiveTable({ filter: { project_id }, cache: memoryCache({ maxEntries: 200_000 }) }) holding that
//   project's 100,000 rows; and next to each a raw realtime-js observer (supabase.channel().on('postgres_changes',
//   { filter: project_id=eq.p })) on a client of its own, signed in as the same PM.
// - Faults, in phases: healthy, sockets dropped every 15 s, heartbeats blackholed, 30 % of changes lost, Realtime
//   stopped, then a healthy tail; writes stop at the end of the tail and every write then gets its full 30 s.
//
// Processes: the stack (Postgres, PostgREST, and the Realtime server inside this runner process) and the writers
// run here; all observers (1M rows in memory) run in one forked child of this file, so their heap and GC pauses
// load the clients only, the same for both sides. Clocks: both processes and Postgres read the same system clock
// (Date.now() / clock_timestamp()).
//
// Commit time of a write = the row's server-stamped updated_at returned by the update (.select('updated_at')):
// clock_timestamp() in supasync.touch_updated_at(), the BEFORE UPDATE trigger, i.e. a few ms before COMMIT, so
// commit-to-visible includes the commit itself. Visible = the observer holds that version of the row or a newer
// one: supasync via createLiveTable's onChange (sources 'realtime' and 'poll'), raw via the postgres_changes
// callback. A write never seen counts as not visible within 30 s.
//
// For the charts, the run is also recorded over time (timeline.ts, the details of the TIMELINE_FIGURE figure): each
// write's commit time and commit → visible per client, every mode change of every live table, and the REST requests
// each observer client starts (a counting fetch given to supabase-js), per 5 s of the schedule.
//
// BENCH_POLLING_QUICK=1 runs a 10 × 10k-row, time-scaled (×0.2) version for development; BENCH_POLLING_ROWS sets
// the rows per project alone (full phase durations). Figure names carry the scale either way.
//
// The local Realtime server checks RLS for every change with one primary-key lookup per key (the keys are decoded in a
// materialized CTE first: with the cast inside the join condition, RLS kept the planner from using the index and
// every check was a ~100 ms scan of the 1M rows, which made Realtime fall further and further behind).
import { fileURLToPath } from 'node:url'
import { readFile } from 'node:fs/promises'
import type { SupabaseClient } from '@supabase/supabase-js'
import { memoryCache, type MemoryCache } from '../../packages/cache/src/index.js'
import { createSupasync, type Supasync, type SupasyncError } from '../../packages/core/src/index.js'
import { startLocalStack, type LocalStack } from '../../packages/local/src/index.js'
import { createLiveTable, parseVersion, type LiveMode, type LiveTable } from '../../packages/polling/src/index.js'
import { sendToParent } from './ipc.js'
import { ChildLink, type LinkMessage } from './childLink.js'
import { runAlone } from './runAlone.js'
import { sleep, waitUntil } from './waitUntil.js'
import { summarize, type Figure } from './stats.js'
import { BucketCounter, modesSince, SERIES, TIMELINE_FIGURE, type RunTimeline } from './timeline.js'

const SUITE = 'polling'
const CHILD_FLAG = '--supasync-polling-bench-child'
const SELF = fileURLToPath(import.meta.url)

const QUICK = process.env.BENCH_POLLING_QUICK === '1'
const PROJECTS = 10
const ROWS_PER_PROJECT = Number(process.env.BENCH_POLLING_ROWS ?? (QUICK ? 10_000 : 100_000))
const WRITERS_PER_PROJECT = 5
const MAX_STALENESS_MS = 30_000
/** Updates per second over all 50 writers: what 2 cores sustain next to 10 × 100k-row observers and the stack. */
const RATE = 30
const MAX_INFLIGHT = 200
const TIME_SCALE = QUICK ? 0.2 : 1
const SCALE_LABEL = `${PROJECTS} × ${ROWS_PER_PROJECT / 1000}k rows`
/** REST requests per client are counted in buckets of 5 s of the schedule (1 s in the time-scaled quick run). */
const REQUEST_BUCKET_MS = 5000 * TIME_SCALE

const MILESTONES = ['not_started', 'fabricated', 'delivered', 'installed', 'welded', 'tested', 'done'] as const
const userId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
/** Writers 1..50 (writer w works on project 1 + (w − 1) % 10), PMs 51..60 (PM of project p is 50 + p). */
const writerUser = (project: number, index: number) => userId(1 + (project - 1) + index * PROJECTS)
const pmUser = (project: number) => userId(WRITERS_PER_PROJECT * PROJECTS + project)

type PhaseName = 'healthy' | 'drops' | 'blackhole' | 'lossy' | 'stopped' | 'tail'
const FAULTED: PhaseName[] = ['drops', 'blackhole', 'lossy', 'stopped']
const PHASE_LABEL: Record<PhaseName, string> = {
  healthy: 'healthy',
  drops: 'sockets dropped every 15 s',
  blackhole: 'heartbeats blackholed',
  lossy: '30 % of changes lost',
  stopped: 'Realtime stopped',
  tail: 'healthy tail after restart',
}

const round = (value: number, digits = 1) => (Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : value)

function seedSql(): string {
  const users = PROJECTS * WRITERS_PER_PROJECT + PROJECTS
  return `
insert into public.projects (id, name) select p, 'Project ' || p from generate_series(1, ${PROJECTS}) p;
select setval(pg_get_serial_sequence('public.projects', 'id'), ${PROJECTS});
insert into auth.users (id, email)
  select ('00000000-0000-4000-8000-' || lpad(u::text, 12, '0'))::uuid, 'user' || u || '@example.com' from generate_series(1, ${users}) u;
-- writers 1..${PROJECTS * WRITERS_PER_PROJECT}: project 1 + (u - 1) % ${PROJECTS}; PMs after them: one per project
insert into public.project_members (project_id, user_id)
  select case when u <= ${PROJECTS * WRITERS_PER_PROJECT} then 1 + (u - 1) % ${PROJECTS} else u - ${PROJECTS * WRITERS_PER_PROJECT} end,
         ('00000000-0000-4000-8000-' || lpad(u::text, 12, '0'))::uuid
  from generate_series(1, ${users}) u;
`
}

const COMPONENTS_SQL = `
insert into public.components (project_id, tag, kind, milestone)
select 1 + g % ${PROJECTS}, 'C-' || g,
       (array['pipe_spool', 'valve', 'support', 'instrument'])[1 + g % 4],
       (array['not_started', 'fabricated', 'delivered', 'installed', 'welded', 'tested', 'done'])[1 + (g / ${PROJECTS}) % 7]
from generate_series(0, ${PROJECTS * ROWS_PER_PROJECT - 1}) g`

// ---------------------------------------------------------------------------------------------------------
// Runner side
// ---------------------------------------------------------------------------------------------------------

interface WriteRecord {
  project: number
  id: string
  phase: PhaseName
  /** Date.now() when the update call started. */
  startedAt: number
  /** Server-stamped updated_at, µs since the epoch. */
  version: number
}

/** [key, version µs, visible at (Date.now()), source: 0 realtime, 1 poll] */
type Observation = [string, number, number, number]

interface ChildResult extends LinkMessage {
  supasync: Record<string, Observation[]>
  raw: Record<string, Observation[]>
  modes: Record<string, Record<string, number>>
  modeTransitions: number
  runLookups: { lookups: number; hits: number; misses: number; fresh: number; cacheHits: number; cacheMisses: number }
  tableStats: unknown[]
  /** Key sweep counters of each live table (whole run, load included). */
  sweeps: { sweeps: number; requests: number; dropped: number; adopted: number; totalMs: number }[]
  cacheStats: unknown[]
  rawStatuses: Record<string, number>
  rawEvents: number
  errors: { count: number; first: string[] }
  /** Each live table's mode since its creation: `mode[i]` from `at[i]` (Date.now()). */
  modeLogs: { project: number; at: number[]; mode: LiveMode[] }[]
  /** REST requests of each project's two clients per REQUEST_BUCKET_MS since the run started, and before it (load). */
  requests: { project: number; supasync: number[]; raw: number[]; supasyncBefore: number; rawBefore: number }[]
  /** Date.now() when the child stopped observing. */
  finishedAt: number
}

interface LoadedMessage extends LinkMessage {
  loadMs: number
  perTableMs: number[]
  rows: number
  cacheEntries: number
  heapUsedMiB: number
  rssMiB: number
  baselineHeapMiB: number
}

interface LookupsMessage extends LinkMessage {
  liveGet: ReturnType<typeof summarize>
  cacheGet: ReturnType<typeof summarize>
  cacheGetSync: ReturnType<typeof summarize>
  lookups: number
  tableRows: number
  cacheEntries: number
}

/** Single-row milestone updates through PostgREST by 50 signed-in writers, paced as a Poisson process. */
function startWriters(stack: LocalStack, ids: string[][], onWrite: (write: WriteRecord) => void, phase: () => PhaseName) {
  const writers: { project: number; client: SupabaseClient }[] = []
  for (let project = 1; project <= PROJECTS; project++) {
    for (let index = 0; index < WRITERS_PER_PROJECT; index++) {
      const token = stack.signJwt({ sub: writerUser(project, index), exp: Math.floor(Date.now() / 1000) + 4 * 3600 })
      writers.push({ project, client: stack.createClient({ accessToken: async () => token }) })
    }
  }
  const writes: WriteRecord[] = []
  const failures: string[] = []
  let failed = 0
  let skipped = 0
  let stopped = false
  const inflight = new Set<Promise<void>>()
  const one = async (writer: { project: number; client: SupabaseClient }) => {
    const projectIds = ids[writer.project]!
    const id = projectIds[Math.floor(Math.random() * projectIds.length)]!
    const milestone = MILESTONES[Math.floor(Math.random() * MILESTONES.length)]!
    const currentPhase = phase()
    const startedAt = Date.now()
    const { data, error } = await writer.client.from('components').update({ milestone }).eq('id', id).select('updated_at')
    const version = parseVersion((data as { updated_at?: string }[] | null)?.[0]?.updated_at)
    if (error || version === undefined) {
      failed++
      if (failures.length < 5) failures.push(error?.message ?? `no row returned for ${id}`)
      return
    }
    const write: WriteRecord = { project: writer.project, id, phase: currentPhase, startedAt, version }
    writes.push(write)
    onWrite(write)
  }
  const loop = (async () => {
    const started = performance.now()
    let due = 0
    while (!stopped) {
      due += (-Math.log(1 - Math.random()) * 1000) / RATE
      const wait = started + due - performance.now()
      if (wait > 1) await sleep(wait)
      if (stopped) break
      if (inflight.size >= MAX_INFLIGHT) {
        skipped++
        continue
      }
      const promise = one(writers[Math.floor(Math.random() * writers.length)]!).catch((error: unknown) => {
        failed++
        if (failures.length < 5) failures.push(String(error))
      })
      inflight.add(promise)
      void promise.finally(() => inflight.delete(promise))
    }
  })()
  return {
    writes,
    stats: () => ({ failed, skipped, failures }),
    async stop() {
      stopped = true
      await loop
      await Promise.all([...inflight])
      for (const writer of writers) await writer.client.removeAllChannels()
    },
  }
}

interface Visibility {
  write: WriteRecord
  /** commit → visible, ms (undefined: never seen) */
  latency: number | undefined
  /** update call start → visible, ms */
  roundTrip: number | undefined
  source: number | undefined
}

function visibilities(writes: WriteRecord[], observations: Record<string, Observation[]>): Visibility[] {
  // key → observations of that key (per project: keys are uuids, unique across projects anyway)
  const byKey = new Map<string, Observation[]>()
  for (const list of Object.values(observations)) {
    for (const observation of list) {
      let entries = byKey.get(observation[0])
      if (!entries) byKey.set(observation[0], (entries = []))
      entries.push(observation)
    }
  }
  return writes.map((write) => {
    let first: Observation | undefined
    for (const observation of byKey.get(write.id) ?? []) {
      if (observation[1] >= write.version && (first === undefined || observation[2] < first[2])) first = observation
    }
    if (!first) return { write, latency: undefined, roundTrip: undefined, source: undefined }
    return { write, latency: Math.max(0, first[2] - write.version / 1000), roundTrip: Math.max(0, first[2] - write.startedAt), source: first[3] }
  })
}

/**
 * The run on one time axis for the charts (test/bench/timeline.ts): seconds since the first phase started; `phases`
 * in schedule order, each until the next one starts (the tail until the writers stopped).
 */
function runTimeline(phaseStarts: { phase: PhaseName; at: number }[], writesStoppedAt: number, sides: Record<string, Visibility[]>, result: ChildResult): RunTimeline {
  const start = phaseStarts[0]!.at
  const seconds = (at: number, digits = 2) => round((at - start) / 1000, digits)
  const order = phaseStarts.map((entry) => entry.phase)
  const writes = Object.values(sides)[0] ?? []
  return {
    phases: phaseStarts.map((entry, index) => ({
      name: PHASE_LABEL[entry.phase],
      from: seconds(entry.at),
      to: seconds(phaseStarts[index + 1]?.at ?? writesStoppedAt),
      faulted: FAULTED.includes(entry.phase),
    })),
    end: seconds(result.finishedAt),
    budgetMs: MAX_STALENESS_MS,
    writes: {
      commit: writes.map((entry) => seconds(entry.write.version / 1000)),
      phase: writes.map((entry) => order.indexOf(entry.write.phase)),
      visible: Object.fromEntries(Object.entries(sides).map(([series, list]) => [series, list.map((entry) => (entry.latency === undefined ? null : round(entry.latency, 1)))])),
    },
    modes: result.modeLogs.map((log) => ({ series: SERIES.supasync, table: `project ${log.project}`, ...modesSince(log, start) })),
    requestBucketSeconds: REQUEST_BUCKET_MS / 1000,
    requests: result.requests.flatMap((entry) => [
      { series: SERIES.supasync, client: `project ${entry.project}`, counts: entry.supasync },
      { series: SERIES.raw, client: `project ${entry.project}`, counts: entry.raw },
    ]),
  }
}

function latencySummary(list: Visibility[]) {
  const seen = list.filter((entry) => entry.latency !== undefined).map((entry) => entry.latency!)
  const within = list.filter((entry) => entry.latency !== undefined && entry.latency <= MAX_STALENESS_MS).length
  const summary = summarize(seen)
  return {
    writes: list.length,
    visible: seen.length,
    neverVisible: list.length - seen.length,
    withinBudget: within,
    sharePercent: list.length === 0 ? Number.NaN : round((within / list.length) * 100, 2),
    viaPoll: list.filter((entry) => entry.source === 1).length,
    p50: round(summary.p50),
    p90: round(summary.p90),
    p95: round(summary.p95),
    p99: round(summary.p99),
    max: round(summary.max),
    mean: round(summary.mean),
  }
}

export async function benchLiveTable(): Promise<Figure[]> {
  const figures: Figure[] = []
  const migration = await readFile(new URL('../../packages/polling/sql/supasync-polling.sql', import.meta.url), 'utf8')
  const demoSchema = await readFile(new URL('../../examples/demo-schema.sql', import.meta.url), 'utf8')
  const stack = await startLocalStack({ sql: [migration, demoSchema] })
  let link: ChildLink | undefined
  let writers: ReturnType<typeof startWriters> | undefined
  try {
    // --- 1. seed ------------------------------------------------------------------------------------------
    await stack.query(seedSql())
    await stack.faults.stopRealtime()
    const seedStarted = performance.now()
    await stack.query(COMPONENTS_SQL)
    const seedMs = performance.now() - seedStarted
    const vacuumStarted = performance.now()
    await stack.query('vacuum (analyze) public.components')
    const vacuumMs = performance.now() - vacuumStarted
    await stack.faults.startRealtime()
    const total = Number((await stack.query<{ n: string }>('select count(*) as n from public.components')).rows[0]!.n)
    if (total !== PROJECTS * ROWS_PER_PROJECT) throw new Error(`polling bench: seeded ${total} components, expected ${PROJECTS * ROWS_PER_PROJECT}`)
    figures.push({ suite: SUITE, name: `seed ${total.toLocaleString('en')} components (generate_series, one insert, triggers on)`, value: round(seedMs / 1000, 1), unit: 's', details: { rows: total, seedMs: Math.round(seedMs), vacuumAnalyzeMs: Math.round(vacuumMs), projects: PROJECTS, users: PROJECTS * (WRITERS_PER_PROJECT + 1) } })
    const ids: string[][] = []
    for (let project = 1; project <= PROJECTS; project++) {
      ids[project] = (await stack.query<{ id: string }>('select id from public.components where project_id = $1', [project])).rows.map((row) => row.id)
    }
    console.log(`[polling bench] seeded ${total} rows in ${Math.round(seedMs)} ms (+ vacuum analyze ${Math.round(vacuumMs)} ms)`)

    // --- 2. observers (child process) ---------------------------------------------------------------------
    const tokens = Array.from({ length: PROJECTS }, (_, index) => stack.signJwt({ sub: pmUser(index + 1), exp: Math.floor(Date.now() / 1000) + 4 * 3600 }))
    const config: ChildConfig = { url: stack.url, anonKey: stack.anonKey, tokens, projects: PROJECTS }
    link = ChildLink.fork(SELF, [CHILD_FLAG, JSON.stringify(config)], ['--expose-gc', '--max-old-space-size=8192'], 'polling bench child')
    const loaded = await link.next<LoadedMessage>('loaded', 10 * 60_000)
    console.log(`[polling bench] ${loaded.rows} rows loaded into ${PROJECTS} live tables in ${Math.round(loaded.loadMs)} ms; heap ${loaded.heapUsedMiB} MiB`)
    figures.push({ suite: SUITE, name: `initial load of ${PROJECTS} live tables (${SCALE_LABEL}, concurrent, PostgREST + RLS)`, value: round(loaded.loadMs / 1000, 1), unit: 's', details: { rows: loaded.rows, perTableMs: loaded.perTableMs.map(Math.round), cacheEntries: loaded.cacheEntries } })
    figures.push({ suite: SUITE, name: `observer process heap after load (${SCALE_LABEL} + memory caches)`, value: loaded.heapUsedMiB, unit: 'MiB', details: { rssMiB: loaded.rssMiB, baselineHeapMiB: loaded.baselineHeapMiB, bytesPerRow: Math.round(((loaded.heapUsedMiB - loaded.baselineHeapMiB) * 2 ** 20) / loaded.rows) } })
    await link.next('live', 120_000)

    // --- 4. lookups (before writes, so nothing else runs in the child) ------------------------------------
    link.send({ type: 'lookup' })
    const lookups = await link.next<LookupsMessage>('lookups', 120_000)
    const us = (ms: number) => round(ms * 1000, 2)
    figures.push({ suite: SUITE, name: `lookup live.get(id) among ${lookups.tableRows.toLocaleString('en')} rows: p99`, value: round(lookups.liveGet.p99, 4), unit: 'ms', target: '< 1', ok: lookups.liveGet.p99 < 1, details: { lookups: lookups.lookups, p50us: us(lookups.liveGet.p50), p99us: us(lookups.liveGet.p99), maxUs: us(lookups.liveGet.max) } })
    figures.push({ suite: SUITE, name: `lookup await memoryCache.get(key) among ${lookups.cacheEntries.toLocaleString('en')} entries: p99`, value: round(lookups.cacheGet.p99, 4), unit: 'ms', target: '< 1', ok: lookups.cacheGet.p99 < 1, details: { lookups: lookups.lookups, p50us: us(lookups.cacheGet.p50), p99us: us(lookups.cacheGet.p99), maxUs: us(lookups.cacheGet.max), getSyncP50us: us(lookups.cacheGetSync.p50), getSyncP99us: us(lookups.cacheGetSync.p99) } })

    // --- 3. writes under the fault schedule ---------------------------------------------------------------
    let phase: PhaseName = 'healthy'
    const phaseStarts: { phase: PhaseName; at: number }[] = []
    const enter = (next: PhaseName) => {
      phase = next
      phaseStarts.push({ phase: next, at: Date.now() })
      link!.send({ type: 'phase', name: next, at: phaseStarts.at(-1)!.at })
      console.log(`[polling bench] phase ${next}`)
    }
    const seconds = (s: number) => s * 1000 * TIME_SCALE
    enter('healthy')
    const activeLink = link
    writers = startWriters(stack, ids, (write) => activeLink.send({ type: 'write', project: write.project, id: write.id, version: write.version }), () => phase)
    await sleep(seconds(30))
    // Everyone's access changes once (a policy rewrite): every live table sweeps its 100k keys at its next poll.
    // This is the cost of one sweep per table, measured under the healthy write load.
    await stack.query('select supasync.access_changed()')
    await sleep(seconds(30))
    enter('drops')
    for (let drop = 0; drop < 4; drop++) {
      stack.faults.dropConnections()
      await sleep(seconds(15))
    }
    enter('blackhole')
    stack.faults.blackholeHeartbeats(true)
    await sleep(seconds(45))
    stack.faults.blackholeHeartbeats(false)
    enter('lossy')
    stack.faults.dropChanges(0.3)
    await sleep(seconds(60))
    stack.faults.dropChanges(0)
    enter('stopped')
    await stack.faults.stopRealtime()
    await sleep(seconds(45))
    await stack.faults.startRealtime()
    enter('tail')
    await sleep(seconds(35))
    const activeWriters = writers
    writers = undefined
    const writesStoppedAt = Date.now()
    await activeWriters.stop()
    const lastWriteAt = Math.max(...activeWriters.writes.map((write) => write.version / 1000))
    // Every write gets its full budget (a fixed wait is the measurement, not a synchronisation).
    await sleep(Math.max(0, lastWriteAt + MAX_STALENESS_MS + 1000 - Date.now()))
    link.send({ type: 'finish' })
    const result = await link.next<ChildResult>('result', 120_000)

    // --- figures ------------------------------------------------------------------------------------------
    const writes = activeWriters.writes
    const writeStats = activeWriters.stats()
    const runSeconds = (phaseStarts.length > 0 ? Date.now() - phaseStarts[0]!.at : 0) / 1000
    figures.push({ suite: SUITE, name: `milestone updates written (${PROJECTS * WRITERS_PER_PROJECT} writers, PostgREST, ~${RATE}/s)`, value: writes.length, unit: 'writes', details: { ...writeStats, perPhase: Object.fromEntries((Object.keys(PHASE_LABEL) as PhaseName[]).map((name) => [name, writes.filter((write) => write.phase === name).length])), runSeconds: Math.round(runSeconds) } })
    const sides = { supasync: visibilities(writes, result.supasync), raw: visibilities(writes, result.raw) }
    const timeline = runTimeline(phaseStarts, writesStoppedAt, { [SERIES.supasync]: sides.supasync, [SERIES.raw]: sides.raw }, result)
    const requestTotals = result.requests.map((entry) => ({ project: entry.project, supasync: entry.supasync.reduce((sum, count) => sum + count, 0), raw: entry.raw.reduce((sum, count) => sum + count, 0), supasyncBeforeSchedule: entry.supasyncBefore, rawBeforeSchedule: entry.rawBefore }))
    figures.push({ suite: SUITE, name: TIMELINE_FIGURE, value: round(timeline.end, 0), unit: 's', details: { requestTotals, timeline } })
    const group = (list: Visibility[], phases: PhaseName[]) => latencySummary(list.filter((entry) => phases.includes(entry.write.phase)))
    for (const side of ['supasync', 'raw'] as const) {
      const label = side === 'supasync' ? 'supasync live table' : 'raw realtime-js'
      for (const [groupName, phases] of [['healthy phase', ['healthy']], ['faulted phases', FAULTED]] as const) {
        const summary = group(sides[side], [...phases])
        for (const p of ['p50', 'p90', 'p95', 'p99'] as const) {
          const target = side === 'supasync' && p === 'p99' ? `≤ ${MAX_STALENESS_MS}` : undefined
          figures.push({
            suite: SUITE,
            name: `${label}: commit → visible, ${groupName}, ${p}${side === 'raw' ? ' (of writes seen)' : ''}`,
            value: summary[p],
            unit: 'ms',
            target,
            ok: target === undefined ? undefined : summary[p] <= MAX_STALENESS_MS && summary.neverVisible === 0,
            details: p === 'p50' ? summary : undefined,
          })
        }
      }
      for (const name of [...FAULTED, 'tail'] as PhaseName[]) {
        const summary = group(sides[side], [name])
        figures.push({
          suite: SUITE,
          name: `${label}: commit → visible, ${PHASE_LABEL[name]}, p99${side === 'raw' ? ' (of writes seen)' : ''}`,
          value: summary.p99,
          unit: 'ms',
          target: side === 'supasync' ? `≤ ${MAX_STALENESS_MS}` : undefined,
          ok: side === 'supasync' ? summary.p99 <= MAX_STALENESS_MS && summary.neverVisible === 0 : undefined,
          details: summary,
        })
      }
      for (const [groupName, phases] of [['all phases', Object.keys(PHASE_LABEL) as PhaseName[]], ['faulted phases', FAULTED]] as const) {
        const summary = group(sides[side], [...phases])
        const perPhase = Object.fromEntries((Object.keys(PHASE_LABEL) as PhaseName[]).map((name) => [name, group(sides[side], [name]).sharePercent]))
        figures.push({
          suite: SUITE,
          name: `${label}: share of writes visible within 30 s, ${groupName}`,
          value: summary.sharePercent,
          unit: '%',
          target: side === 'supasync' ? '100' : undefined,
          ok: side === 'supasync' ? summary.withinBudget === summary.writes : undefined,
          details: { writes: summary.writes, withinBudget: summary.withinBudget, neverVisible: summary.neverVisible, perPhase },
        })
      }
    }

    // 5. hit ratio of the PM's lookups of just-updated components
    const run = result.runLookups
    const hitRatio = run.hits + run.misses === 0 ? Number.NaN : (run.hits / (run.hits + run.misses)) * 100
    figures.push({ suite: SUITE, name: 'PM lookup of just-updated components: live.get hit ratio', value: round(hitRatio, 2), unit: '%', target: '≥ 99', ok: hitRatio >= 99, details: { ...run, freshSharePercent: run.lookups === 0 ? undefined : round((run.fresh / run.lookups) * 100, 2), note: 'fresh = the row held already had the just-written version at lookup time (lookup right after the writer got its response)' } })
    const cacheRatio = run.cacheHits + run.cacheMisses === 0 ? Number.NaN : (run.cacheHits / (run.cacheHits + run.cacheMisses)) * 100
    figures.push({ suite: SUITE, name: 'PM lookup of just-updated components: memoryCache.getSync hit ratio', value: round(cacheRatio, 2), unit: '%', details: { cacheHits: run.cacheHits, cacheMisses: run.cacheMisses, cacheStats: result.cacheStats } })

    // 6. round trip in the healthy phase
    const roundTrips = sides.supasync.filter((entry) => entry.write.phase === 'healthy' && entry.roundTrip !== undefined).map((entry) => entry.roundTrip!)
    const trip = summarize(roundTrips)
    const healthyWrites = writes.filter((write) => write.phase === 'healthy').length
    const tripsComplete = roundTrips.length === healthyWrites
    figures.push({ suite: SUITE, name: 'milestone update round trip (update call → visible in PM live table), healthy, p90', value: round(trip.p90), unit: 'ms', target: '< 1000', ok: trip.p90 < 1000 && tripsComplete, details: { ...trip, writes: healthyWrites } })
    figures.push({ suite: SUITE, name: 'milestone update round trip (update call → visible in PM live table), healthy, p95', value: round(trip.p95), unit: 'ms', target: '< 2000', ok: trip.p95 < 2000 && tripsComplete })

    // freshness modes: share of live-table time in mode realtime per phase
    for (const name of Object.keys(PHASE_LABEL) as PhaseName[]) {
      const modes = result.modes[name] ?? {}
      const totalMs = Object.values(modes).reduce((sum, ms) => sum + ms, 0)
      const share = (mode: LiveMode) => (totalMs === 0 ? 0 : round(((modes[mode] ?? 0) / totalMs) * 100, 1))
      figures.push({ suite: SUITE, name: `live tables' time in mode realtime, ${PHASE_LABEL[name]}`, value: share('realtime'), unit: '%', details: { polling: share('polling'), catchingUp: share('catching-up'), offline: share('offline'), tableSeconds: round(totalMs / 1000, 0) } })
    }
    // cost of the key sweeps (RLS revocation and grants without a write): requests/s and time per sweep
    const sweepTotals = result.sweeps.reduce((sum, s) => ({ sweeps: sum.sweeps + s.sweeps, requests: sum.requests + s.requests, totalMs: sum.totalMs + s.totalMs, dropped: sum.dropped + s.dropped }), { sweeps: 0, requests: 0, totalMs: 0, dropped: 0 })
    figures.push({ suite: SUITE, name: `key sweeps of ${PROJECTS} live tables (${SCALE_LABEL}): requests per second`, value: round(sweepTotals.requests / Math.max(1, runSeconds), 1), unit: 'req/s', details: { ...sweepTotals, runSeconds: Math.round(runSeconds), note: 'keys only, pageSize rows per request, every maxStalenessMs / 2 per table' } })
    figures.push({ suite: SUITE, name: `key sweep of one ${(loaded.rows / PROJECTS).toLocaleString('en')}-row live table: mean duration`, value: sweepTotals.sweeps === 0 ? Number.NaN : round(sweepTotals.totalMs / sweepTotals.sweeps), unit: 'ms', details: { sweeps: sweepTotals.sweeps, requestsPerSweep: sweepTotals.sweeps === 0 ? undefined : round(sweepTotals.requests / sweepTotals.sweeps, 1) } })
    figures.push({ suite: SUITE, name: 'observer errors reported (onError of supasync and the live tables)', value: result.errors.count, unit: 'errors', details: { first: result.errors.first, modeTransitions: result.modeTransitions, rawStatuses: result.rawStatuses, rawEvents: result.rawEvents, tableStats: result.tableStats } })
    await link.close()
    link = undefined
  } finally {
    if (writers) await writers.stop().catch(() => {})
    if (link) {
      link.send({ type: 'finish' })
      await link.close()
    }
    await stack.stop()
  }
  return figures
}

// ---------------------------------------------------------------------------------------------------------
// Child side: the observers
// ---------------------------------------------------------------------------------------------------------

interface ChildConfig {
  url: string
  anonKey: string
  tokens: string[]
  projects: number
}

type Component = { id: string; project_id: number; milestone: string; updated_at: string }

/** A client signed in with `token`; every REST request it starts is counted in `requests` first. */
async function createClientFor(url: string, anonKey: string, token: string, requests: BucketCounter): Promise<SupabaseClient> {
  const { createClient } = await import('@supabase/supabase-js')
  const WebSocket = (await import('ws')).default
  const supabase = createClient(url, anonKey, {
    accessToken: async () => token,
    realtime: { transport: WebSocket as never },
    global: {
      fetch: (input, init) => {
        requests.add(Date.now())
        return fetch(input, init)
      },
    },
  })
  await supabase.realtime.setAuth(token)
  return supabase
}

async function childMain(config: ChildConfig): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
  let phase = 'setup'
  const errors = { count: 0, first: [] as string[] }
  const onError = (error: SupasyncError<string> | Error) => {
    errors.count++
    if (errors.first.length < 10) errors.first.push(`${new Date().toISOString()} [${phase}] ${error.message}`)
  }
  const modes: Record<string, Record<string, number>> = {}
  let modeTransitions = 0
  const supasyncSeen: Record<string, Observation[]> = {}
  const rawSeen: Record<string, Observation[]> = {}
  const rawStatuses: Record<string, number> = {}
  let rawEvents = 0

  interface ProjectObserver {
    project: number
    supabase: SupabaseClient
    sync: Supasync
    live: LiveTable<Component>
    cache: MemoryCache<Component>
    rawClient: SupabaseClient
    mode: { mode: LiveMode; since: number }
    /** Every mode change with its Date.now(), for the mode timeline chart. */
    modeLog: { at: number[]; mode: LiveMode[] }
    requests: { supasync: BucketCounter; raw: BucketCounter }
    readyMs?: number
  }
  gc()
  const baselineHeap = process.memoryUsage().heapUsed
  const observers: ProjectObserver[] = []
  const loadStarted = performance.now()
  for (let project = 1; project <= config.projects; project++) {
    const token = config.tokens[project - 1]!
    const requests = { supasync: new BucketCounter(REQUEST_BUCKET_MS), raw: new BucketCounter(REQUEST_BUCKET_MS) }
    const supabase = await createClientFor(config.url, config.anonKey, token, requests.supasync)
    const sync = createSupasync(supabase, { onError })
    // The cache's own namespace is the table's (cacheNamespace), so the lookups below read the rows it writes.
    const cacheNamespace = `user-of-project-${project}`
    const cache = memoryCache<Component>({ maxEntries: 200_000, namespace: cacheNamespace })
    const seen: Observation[] = (supasyncSeen[project] = [])
    const live = createLiveTable<Component>(sync, {
      supabase,
      table: 'components',
      filter: { project_id: project },
      cache,
      cacheNamespace,
      onError,
      onChange: (change) => {
        if (change.source === 'load' || change.row === undefined) return
        seen.push([change.key, change.version, Date.now(), change.source === 'poll' ? 1 : 0])
      },
    })
    const rawClient = await createClientFor(config.url, config.anonKey, token, requests.raw)
    const mode = live.freshness.get().mode
    const observer: ProjectObserver = { project, supabase, sync, live, cache, rawClient, mode: { mode, since: Date.now() }, modeLog: { at: [Date.now()], mode: [mode] }, requests }
    observers.push(observer)
    live.ready.then(() => (observer.readyMs = performance.now() - loadStarted), () => {})
  }
  const account = (observer: ProjectObserver, now: number) => {
    const bucket = (modes[phase] ??= {})
    bucket[observer.mode.mode] = (bucket[observer.mode.mode] ?? 0) + (now - observer.mode.since)
    observer.mode.since = now
  }
  for (const observer of observers) {
    observer.live.freshness.subscribe((freshness) => {
      if (freshness.mode === observer.mode.mode) return
      const now = Date.now()
      account(observer, now)
      observer.mode.mode = freshness.mode
      observer.modeLog.at.push(now)
      observer.modeLog.mode.push(freshness.mode)
      modeTransitions++
    })
  }
  await Promise.all(observers.map((observer) => observer.live.ready))
  const loadMs = performance.now() - loadStarted
  await sleep(100) // cache writes are flushed in a microtask; let them land
  gc()
  const memory = process.memoryUsage()
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20)
  await sendToParent({
    type: 'loaded',
    loadMs,
    perTableMs: observers.map((observer) => observer.readyMs ?? Number.NaN),
    rows: observers.reduce((sum, observer) => sum + observer.live.stats().rows, 0),
    cacheEntries: observers.reduce((sum, observer) => sum + observer.cache.size, 0),
    heapUsedMiB: mib(memory.heapUsed),
    rssMiB: mib(memory.rss),
    baselineHeapMiB: mib(baselineHeap),
  } satisfies LoadedMessage)

  // Raw realtime-js observers: one channel per project on its own client, the PM's token.
  await Promise.all(
    observers.map(
      (observer) =>
        new Promise<void>((resolve, reject) => {
          const seen: Observation[] = (rawSeen[observer.project] = [])
          const timer = setTimeout(() => reject(new Error(`raw observer of project ${observer.project} not subscribed within 60 s`)), 60_000)
          observer.rawClient
            .channel(`raw-components-${observer.project}`)
            .on('postgres_changes', { event: '*', schema: 'public', table: 'components', filter: `project_id=eq.${observer.project}` }, (payload) => {
              rawEvents++
              const row = payload.new as Partial<Component>
              const version = parseVersion(row.updated_at)
              if (row.id !== undefined && version !== undefined) seen.push([row.id, version, Date.now(), 0])
            })
            .on('system', {}, (message: { extension?: string; status?: string; message?: string }) => {
              if (message.extension !== 'postgres_changes') return
              if (message.status === 'ok') {
                clearTimeout(timer)
                resolve()
              } else onError(new Error(`raw observer ${observer.project}: ${message.message}`))
            })
            .subscribe((status) => {
              rawStatuses[status] = (rawStatuses[status] ?? 0) + 1
            })
        }),
    ),
  )
  if (!(await waitUntil(() => observers.every((observer) => observer.live.freshness.get().mode === 'realtime'), 60_000))) {
    throw new Error(`live tables not in mode realtime within 60 s: ${observers.map((observer) => observer.live.freshness.get().mode).join(', ')}`)
  }
  const byProject = new Map(observers.map((observer) => [observer.project, observer]))
  const runLookups = { lookups: 0, hits: 0, misses: 0, fresh: 0, cacheHits: 0, cacheMisses: 0 }
  let statsAtStart: { hits: number; misses: number }[] | undefined
  let runStartedAt: number | undefined
  let finishing = false

  process.on('message', (message: LinkMessage) => {
    if (message.type === 'lookup') void lookupBench(observers[0]!).then((result) => sendToParent({ type: 'lookups', ...result }))
    else if (message.type === 'phase') {
      const now = Date.now()
      for (const observer of observers) {
        account(observer, now)
        // The first phase starts the run: requests are counted from the runner's start time on.
        observer.requests.supasync.begin(message.at as number)
        observer.requests.raw.begin(message.at as number)
      }
      phase = message.name as string
      runStartedAt ??= message.at as number
      if (statsAtStart === undefined) statsAtStart = observers.map((observer) => observer.live.stats())
    } else if (message.type === 'write') {
      const observer = byProject.get(message.project as number)
      if (!observer) return
      const id = message.id as string
      const row = observer.live.get(id)
      runLookups.lookups++
      if (row !== undefined && (parseVersion(row.updated_at) ?? 0) >= (message.version as number)) runLookups.fresh++
      if (observer.cache.getSync(id)) runLookups.cacheHits++
      else runLookups.cacheMisses++
    } else if (message.type === 'finish' && !finishing) {
      finishing = true
      void finish()
    }
  })

  // Listening before 'live' is sent: the runner's first command follows it at once.
  await sendToParent({ type: 'live' })

  async function finish(): Promise<void> {
    const now = Date.now()
    for (const observer of observers) account(observer, now)
    const stats = observers.map((observer) => observer.live.stats())
    if (statsAtStart) {
      runLookups.hits = stats.reduce((sum, stat, index) => sum + stat.hits - statsAtStart![index]!.hits, 0)
      runLookups.misses = stats.reduce((sum, stat, index) => sum + stat.misses - statsAtStart![index]!.misses, 0)
    }
    const result: ChildResult = {
      type: 'result',
      supasync: supasyncSeen,
      raw: rawSeen,
      modes,
      modeTransitions,
      runLookups,
      tableStats: stats.map(({ rows, tombstones, applied }) => ({ rows, tombstones, applied })),
      sweeps: stats.map(({ sweep }) => sweep),
      cacheStats: observers.map((observer) => observer.cache.stats()),
      rawStatuses,
      rawEvents,
      errors,
      modeLogs: observers.map((observer) => ({ project: observer.project, ...observer.modeLog })),
      requests: observers.map((observer) => {
        const runMs = now - (runStartedAt ?? now)
        return {
          project: observer.project,
          supasync: observer.requests.supasync.snapshot(runMs),
          raw: observer.requests.raw.snapshot(runMs),
          supasyncBefore: observer.requests.supasync.before,
          rawBefore: observer.requests.raw.before,
        }
      }),
      finishedAt: now,
    }
    await sendToParent(result)
    for (const observer of observers) {
      observer.live.destroy()
      await Promise.race([observer.sync.destroy(), sleep(5000)])
      await Promise.race([observer.supabase.removeAllChannels(), sleep(5000)])
      await Promise.race([observer.rawClient.removeAllChannels(), sleep(5000)])
      observer.rawClient.realtime.disconnect()
      observer.supabase.realtime.disconnect()
      await observer.cache.close()
    }
    process.exit(0)
  }
}

/** p99 of single lookups on one project's live table and its memory cache, each call timed on its own. */
async function lookupBench(observer: { live: LiveTable<Component>; cache: MemoryCache<Component> }) {
  const keys = [...observer.live.rows.get().keys()]
  const lookups = 200_000
  const order = Array.from({ length: lookups }, () => keys[Math.floor(Math.random() * keys.length)]!)
  // Warm-up: the lookup paths get optimized before they are timed.
  for (let index = 0; index < 20_000; index++) {
    observer.live.get(order[index]!)
    observer.cache.getSync(order[index]!)
  }
  const liveGet = new Float64Array(lookups)
  const cacheGet = new Float64Array(lookups)
  const cacheGetSync = new Float64Array(lookups)
  let missing = 0
  for (let index = 0; index < lookups; index++) {
    const key = order[index]!
    const started = performance.now()
    const row = observer.live.get(key)
    liveGet[index] = performance.now() - started
    if (row === undefined) missing++
  }
  for (let index = 0; index < lookups; index++) {
    const key = order[index]!
    const started = performance.now()
    const entry = await observer.cache.get(key)
    cacheGet[index] = performance.now() - started
    if (entry === undefined) missing++
  }
  for (let index = 0; index < lookups; index++) {
    const key = order[index]!
    const started = performance.now()
    observer.cache.getSync(key)
    cacheGetSync[index] = performance.now() - started
  }
  if (missing > 0) throw new Error(`lookup bench: ${missing} lookups of loaded rows missed`)
  return {
    liveGet: summarize(Array.from(liveGet)),
    cacheGet: summarize(Array.from(cacheGet)),
    cacheGetSync: summarize(Array.from(cacheGetSync)),
    lookups,
    tableRows: observer.live.stats().rows,
    cacheEntries: observer.cache.size,
  }
}

if (process.argv[2] === CHILD_FLAG) {
  childMain(JSON.parse(process.argv[3]!) as ChildConfig).catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}

// Run alone: npx tsx test/bench/liveTable.bench.ts
runAlone(import.meta.url, benchLiveTable, CHILD_FLAG)
