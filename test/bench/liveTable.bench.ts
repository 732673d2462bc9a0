// Benchmark of @supasync/polling (createLiveTable) against a local stack, with both realtime sources side by side
// with raw realtime-js, under a schedule of Realtime faults, with the real budget (maxStalenessMs 30 000, every other
// option default).
//
// Scenario (the construction demo, examples/demo-schema.sql with RLS by project membership):
// - 1,000,000 components across 10 projects, seeded with generate_series as the superuser while Realtime is
//   stopped (a 1M-row transaction would otherwise be decoded by the local Realtime server in one poll). Then
//   Broadcast from Database is set up as an app would (BROADCAST_SQL): supasync.enable_broadcast's trigger sends every
//   change of a component to the private topic 'project:<project_id>', and a SELECT policy on realtime.messages
//   admits each project's members to its topic. (After the seed: the trigger would otherwise send 1M broadcasts.)
// - 50 writers ("foremen", 5 members per project), each its own supabase-js client signed in as its own user,
//   update the milestone of random components of their project through PostgREST at RATE updates/s in total
//   (a Poisson process, so the writes do not lock into a phase with any poll interval).
// - Per project, three observers, each its own supabase-js client signed in as the project manager (all in one
//   child process, pollingObservers.ts): a supasync live table fed by postgres_changes
//   (createLiveTable({ filter: { project_id }, cache: memoryCache(…) }), series 'supasync postgres_changes'), the
//   same live table with source 'broadcast' on the project's topic ('supasync broadcast'), and a raw realtime-js
//   postgres_changes subscription with the same filter ('raw realtime-js'). Each live table holds its project's
//   100,000 rows.
// - Faults, in phases: healthy, sockets dropped every 15 s, heartbeats blackholed, 30 % of changes lost (database
//   broadcasts too), Realtime stopped, then a healthy tail; every fault hits every socket and both realtime paths.
//   Writes stop at the end of the tail and every write then gets its full 30 s.
//
// Processes: the stack (Postgres, PostgREST, and the Realtime server inside this runner process) and the writers
// run here; all observers (2M rows in memory) run in one forked child, so their heap and GC pauses load the clients
// only, the same for every series. Each process records its event-loop delay and CPU per phase, and the machine's
// busy share (phaseLoad.ts): on 2 cores, that says whether a latency figure measures the client or a saturated
// machine. Clocks: both processes and Postgres read the same system clock (Date.now() / clock_timestamp()).
//
// Commit time of a write = the row's server-stamped updated_at returned by the update (.select('updated_at')):
// clock_timestamp() in supasync.touch_updated_at(), the BEFORE UPDATE trigger, i.e. a few ms before COMMIT, so
// commit-to-visible includes the commit itself (and the broadcast trigger's insert into realtime.messages). Visible
// = the observer holds that version of the row or a newer one: supasync via createLiveTable's onChange (sources
// 'realtime' and 'poll'), raw via the postgres_changes callback. A write never seen counts as not visible within 30 s.
//
// For the charts, the run is also recorded over time (timeline.ts, the details of the TIMELINE_FIGURE figure): each
// write's commit time and commit → visible per client, every mode change of every live table, and the REST requests
// each observer client starts (a counting fetch given to supabase-js), per 5 s of the schedule. The requests are also
// told apart by kind (URL: polls against key sweeps, restRequests.ts) and by the table's mode when they started, for
// the REST requests per client per minute in realtime mode.
//
// BENCH_POLLING_QUICK=1 runs a 10 × 10k-row, time-scaled (×0.2) version for development; BENCH_POLLING_ROWS sets
// the rows per project alone (full phase durations). Figure names carry the scale either way.
//
// The local Realtime server checks RLS for every change with one primary-key lookup per key (the keys are decoded in a
// materialized CTE first: with the cast inside the join condition, RLS kept the planner from using the index and
// every check was a ~100 ms scan of the 1M rows, which made Realtime fall further and further behind).
import { fileURLToPath } from 'node:url'
import { readFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import type { SupabaseClient } from '@supabase/supabase-js'
import { startLocalStack, type LocalStack } from '../../packages/local/src/index.js'
import { parseVersion, type LiveMode } from '../../packages/polling/src/index.js'
import { ChildLink } from './childLink.js'
import { PhaseLoad } from './phaseLoad.js'
import { CHILD_FLAG, TABLE_SERIES, type ChildResult, type LoadedMessage, type LookupsMessage, type Observation, type ObserverConfig, type TableSeries } from './pollingObservers.js'
import { POLL_KINDS, sumRequests, type RequestKind } from './restRequests.js'
import { runAlone } from './runAlone.js'
import { sleep } from './waitUntil.js'
import { summarize, type Figure } from './stats.js'
import { modesSince, SERIES, TIMELINE_FIGURE, type RunTimeline } from './timeline.js'

const SUITE = 'polling'
const OBSERVERS = fileURLToPath(new URL('./pollingObservers.ts', import.meta.url))

const QUICK = process.env.BENCH_POLLING_QUICK === '1'
const PROJECTS = 10
const ROWS_PER_PROJECT = Number(process.env.BENCH_POLLING_ROWS ?? (QUICK ? 10_000 : 100_000))
const WRITERS_PER_PROJECT = 5
const MAX_STALENESS_MS = 30_000
/** Updates per second over all 50 writers: what 2 cores sustain next to 20 live tables of 100k rows and the stack. */
const RATE = 30
const MAX_INFLIGHT = 200
const TIME_SCALE = QUICK ? 0.2 : 1
const SCALE_LABEL = `${PROJECTS} × ${ROWS_PER_PROJECT / 1000}k rows`
/** Topic of project p: what BROADCAST_SQL's trigger expression and topic policy name. */
const TOPIC_PREFIX = 'project:'
/** The promise: share visible within the budget, and the live-table series are held to it; raw realtime-js is not. */
const SIDES = [
  { series: SERIES.supasync, label: 'supasync live table (postgres_changes)', promised: true },
  { series: SERIES.broadcast, label: 'supasync live table (broadcast)', promised: true },
  { series: SERIES.raw, label: 'raw realtime-js', promised: false },
] as const
const labelOf = (series: string) => SIDES.find((side) => side.series === series)!.label
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

/**
 * Broadcast from Database as an app's migration sets it up (packages/polling/README.md, "Broadcast from Database"):
 * one private topic per project fed by supasync.enable_broadcast's trigger, and the policy that admits the
 * project's members to it. The subquery on project_members runs as the joining user, under that table's RLS.
 */
const BROADCAST_SQL = `
select supasync.enable_broadcast('public.components', $$'${TOPIC_PREFIX}' || project_id$$);
create policy "project members receive project changes" on realtime.messages
  for select to authenticated
  using (realtime.messages.extension = 'broadcast'
         and exists (select 1 from public.project_members m
                      where m.user_id = (select auth.uid())
                        and '${TOPIC_PREFIX}' || m.project_id = (select realtime.topic())));
`

const COMPONENTS_SQL = `
insert into public.components (project_id, tag, kind, milestone)
select 1 + g % ${PROJECTS}, 'C-' || g,
       (array['pipe_spool', 'valve', 'support', 'instrument'])[1 + g % 4],
       (array['not_started', 'fabricated', 'delivered', 'installed', 'welded', 'tested', 'done'])[1 + (g / ${PROJECTS}) % 7]
from generate_series(0, ${PROJECTS * ROWS_PER_PROJECT - 1}) g`

interface WriteRecord {
  project: number
  id: string
  phase: PhaseName
  /** Date.now() when the update call started. */
  startedAt: number
  /** Server-stamped updated_at, µs since the epoch. */
  version: number
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
    modes: result.modeLogs.map((log) => ({ series: log.series, table: `project ${log.project}`, ...modesSince(log, start) })),
    requestBucketSeconds: REQUEST_BUCKET_MS / 1000,
    requests: result.requests.map((entry) => ({ series: entry.series, client: `project ${entry.project}`, counts: entry.counts })),
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

/** The figures of one client series: commit → visible per phase group and phase, and the share within 30 s. */
function sideFigures(side: (typeof SIDES)[number], list: Visibility[]): Figure[] {
  const figures: Figure[] = []
  const group = (phases: readonly PhaseName[]) => latencySummary(list.filter((entry) => phases.includes(entry.write.phase)))
  // Raw realtime-js promises nothing: its percentiles are of the writes it saw at all.
  const seenOnly = side.promised ? '' : ' (of writes seen)'
  const target = side.promised ? `≤ ${MAX_STALENESS_MS}` : undefined
  for (const [groupName, phases] of [['healthy phase', ['healthy']], ['faulted phases', FAULTED]] as const) {
    const summary = group(phases)
    for (const p of ['p50', 'p90', 'p95', 'p99'] as const) {
      const held = p === 'p99' ? target : undefined
      figures.push({
        suite: SUITE,
        name: `${side.label}: commit → visible, ${groupName}, ${p}${seenOnly}`,
        value: summary[p],
        unit: 'ms',
        target: held,
        ok: held === undefined ? undefined : summary[p] <= MAX_STALENESS_MS && summary.neverVisible === 0,
        details: p === 'p50' ? summary : undefined,
      })
    }
  }
  for (const name of [...FAULTED, 'tail'] as PhaseName[]) {
    const summary = group([name])
    figures.push({
      suite: SUITE,
      name: `${side.label}: commit → visible, ${PHASE_LABEL[name]}, p99${seenOnly}`,
      value: summary.p99,
      unit: 'ms',
      target,
      ok: target === undefined ? undefined : summary.p99 <= MAX_STALENESS_MS && summary.neverVisible === 0,
      details: summary,
    })
  }
  for (const [groupName, phases] of [['all phases', Object.keys(PHASE_LABEL) as PhaseName[]], ['faulted phases', FAULTED]] as const) {
    const summary = group(phases)
    const perPhase = Object.fromEntries((Object.keys(PHASE_LABEL) as PhaseName[]).map((name) => [name, group([name]).sharePercent]))
    figures.push({
      suite: SUITE,
      name: `${side.label}: share of writes visible within 30 s, ${groupName}`,
      value: summary.sharePercent,
      unit: '%',
      target: side.promised ? '100' : undefined,
      ok: side.promised ? summary.withinBudget === summary.writes : undefined,
      details: { writes: summary.writes, withinBudget: summary.withinBudget, neverVisible: summary.neverVisible, perPhase },
    })
  }
  return figures
}

/**
 * What the live tables of one series cost in REST requests: per client per minute while in mode realtime (polls and
 * key sweeps apart), the key sweeps' rate and duration, and the share of time in mode realtime per phase.
 */
function costFigures(series: TableSeries, result: ChildResult, runSeconds: number, rowsPerTable: number): Figure[] {
  const figures: Figure[] = []
  const label = labelOf(series)
  const runPhases = Object.keys(PHASE_LABEL)
  const tally: Record<string, number> = {}
  for (const entry of result.requests.filter((candidate) => candidate.series === series)) {
    for (const [key, count] of Object.entries(entry.tally)) tally[key] = (tally[key] ?? 0) + count
  }
  const modeMs = result.modes[series] ?? {}
  const minutesIn = (mode: string, phases: readonly string[]) => phases.reduce((sum, phase) => sum + (modeMs[phase]?.[mode] ?? 0), 0) / 60_000
  const rate = (requests: number, minutes: number) => (minutes > 0 ? round(requests / minutes, 1) : Number.NaN)
  const inRealtime = (phases: readonly string[], kinds?: readonly RequestKind[]) => sumRequests(tally, { phases, mode: 'realtime', kinds })
  // The steady cost: the healthy phase and the healthy tail. In realtime mode a table's polls are verification polls
  // (a catch-up after a rejoin runs in mode catching-up); in the faulted phases every rejoin's catch-up restarts the
  // verification interval, so few of them fall in realtime mode there.
  const steady: PhaseName[] = ['healthy', 'tail']
  const steadyMinutes = minutesIn('realtime', steady)
  const verification = inRealtime(steady, POLL_KINDS)
  const perKind = Object.fromEntries(POLL_KINDS.map((kind) => [kind, rate(inRealtime(steady, [kind]), steadyMinutes)]))
  const perPhase = Object.fromEntries(runPhases.map((phase) => [phase, { polls: rate(inRealtime([phase], POLL_KINDS), minutesIn('realtime', [phase])), sweeps: rate(inRealtime([phase], ['sweep']), minutesIn('realtime', [phase])), realtimeTableMinutes: round(minutesIn('realtime', [phase]), 1) }]))
  figures.push({
    suite: SUITE,
    name: `${label}: REST requests per client per minute in realtime mode, verification polls (healthy phases)`,
    value: rate(verification, steadyMinutes),
    unit: 'req/min',
    target: '≤ 4',
    ok: rate(verification, steadyMinutes) <= 4,
    details: { requests: verification, realtimeTableMinutes: round(steadyMinutes, 1), perKind, perPhase, note: 'requests (watermark, rows, tombstones, other RPCs) a client started while its live table was in mode realtime during the healthy phase and the healthy tail (with the final budget wait), over the table-minutes it spent in that mode there; key sweeps apart' },
  })
  // What a client pays in all while its table is in realtime mode with the default options: verification polls, and the
  // periodic key checks that ride on them as key digests (a key sweep only where a digest differed from the view).
  // Measured in the healthy tail: the healthy phase holds the one supasync.access_changed() of the run, whose sweep
  // (100 key pages per table) is the price of an access change, not the steady cost.
  const tailMinutes = minutesIn('realtime', ['tail'])
  figures.push({
    suite: SUITE,
    name: `${label}: REST requests per client per minute in realtime mode, polls and periodic key checks (healthy tail, default options)`,
    value: rate(inRealtime(['tail']), tailMinutes),
    unit: 'req/min',
    target: '≤ 4',
    ok: rate(inRealtime(['tail']), tailMinutes) <= 4,
    details: {
      requests: inRealtime(['tail']),
      sweepRequests: inRealtime(['tail'], ['sweep']),
      realtimeTableMinutes: round(tailMinutes, 1),
      healthyPhaseWithTheAccessChange: { requestsPerMinute: rate(inRealtime(['healthy']), minutesIn('realtime', ['healthy'])), sweepRequests: inRealtime(['healthy'], ['sweep']) },
    },
  })
  // Key sweeps run on their own schedule (every max(budget / 2, 20 × a sweep's duration), and at once after an access
  // change), whatever the mode: their cost is spread over the whole run.
  const runMinutes = (runSeconds / 60) * PROJECTS
  const sweepRequests = sumRequests(tally, { phases: runPhases, kinds: ['sweep'] })
  figures.push({ suite: SUITE, name: `${label}: key-sweep REST requests per client per minute (whole run, any mode)`, value: rate(sweepRequests, runMinutes), unit: 'req/min', details: { requests: sweepRequests, tableMinutes: round(runMinutes, 1), inRealtimeMode: sumRequests(tally, { phases: runPhases, mode: 'realtime', kinds: ['sweep'] }) } })
  const realtimeMinutes = minutesIn('realtime', runPhases)
  figures.push({
    suite: SUITE,
    name: `${label}: REST requests per client per minute in realtime mode, all phases (polls + key sweeps)`,
    value: rate(inRealtime(runPhases), realtimeMinutes),
    unit: 'req/min',
    details: { requests: inRealtime(runPhases), polls: inRealtime(runPhases, POLL_KINDS), sweeps: inRealtime(runPhases, ['sweep']), realtimeTableMinutes: round(realtimeMinutes, 1), pollingMode: { requestsPerMinute: rate(sumRequests(tally, { phases: runPhases, mode: 'polling' }), minutesIn('polling', runPhases)), tableMinutes: round(minutesIn('polling', runPhases), 1) } },
  })
  // cost of the key sweeps (RLS revocation and grants without a write): requests/s and time per sweep
  const tables = result.tables.filter((table) => table.series === series)
  const sweeps = tables.reduce((sum, table) => ({ sweeps: sum.sweeps + table.sweep.sweeps, requests: sum.requests + table.sweep.requests, totalMs: sum.totalMs + table.sweep.totalMs, dropped: sum.dropped + table.sweep.dropped, digestChecks: sum.digestChecks + (table.sweep.digestChecks ?? 0), digestMismatches: sum.digestMismatches + (table.sweep.digestMismatches ?? 0) }), { sweeps: 0, requests: 0, totalMs: 0, dropped: 0, digestChecks: 0, digestMismatches: 0 })
  figures.push({ suite: SUITE, name: `${label}: key sweeps of ${PROJECTS} live tables (${SCALE_LABEL}), requests per second`, value: round(sweeps.requests / Math.max(1, runSeconds), 1), unit: 'req/s', details: { ...sweeps, runSeconds: Math.round(runSeconds), note: 'keys only, pageSize rows per request, every maxStalenessMs / 2 per table at most (automatic spacing)' } })
  figures.push({ suite: SUITE, name: `${label}: key sweep of one ${rowsPerTable.toLocaleString('en')}-row live table, mean duration`, value: sweeps.sweeps === 0 ? Number.NaN : round(sweeps.totalMs / sweeps.sweeps), unit: 'ms', details: { sweeps: sweeps.sweeps, requestsPerSweep: sweeps.sweeps === 0 ? undefined : round(sweeps.requests / sweeps.sweeps, 1) } })
  // freshness modes: share of live-table time in mode realtime per phase
  for (const name of Object.keys(PHASE_LABEL) as PhaseName[]) {
    const modes = modeMs[name] ?? {}
    const totalMs = Object.values(modes).reduce((sum, ms) => sum + ms, 0)
    const share = (mode: LiveMode) => (totalMs === 0 ? 0 : round(((modes[mode] ?? 0) / totalMs) * 100, 1))
    figures.push({ suite: SUITE, name: `${label}: time in mode realtime, ${PHASE_LABEL[name]}`, value: share('realtime'), unit: '%', details: { polling: share('polling'), catchingUp: share('catching-up'), offline: share('offline'), tableSeconds: round(totalMs / 1000, 0) } })
  }
  return figures
}

export async function benchLiveTable(): Promise<Figure[]> {
  const figures: Figure[] = []
  const migration = await readFile(new URL('../../packages/polling/sql/supasync-polling.sql', import.meta.url), 'utf8')
  const demoSchema = await readFile(new URL('../../examples/demo-schema.sql', import.meta.url), 'utf8')
  const stack = await startLocalStack({ sql: [migration, demoSchema] })
  let link: ChildLink | undefined
  let writers: ReturnType<typeof startWriters> | undefined
  const runnerLoad = new PhaseLoad()
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
    await stack.query(BROADCAST_SQL)
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
    const config: ObserverConfig = { url: stack.url, anonKey: stack.anonKey, tokens, projects: PROJECTS, requestBucketMs: REQUEST_BUCKET_MS, topicPrefix: TOPIC_PREFIX }
    link = ChildLink.fork(OBSERVERS, [CHILD_FLAG, JSON.stringify(config)], ['--expose-gc', '--max-old-space-size=8192'], 'polling bench child')
    const loaded = await link.next<LoadedMessage>('loaded', 10 * 60_000)
    const tableCount = PROJECTS * TABLE_SERIES.length
    const rowsLoaded = Object.values(loaded.rows).reduce((sum, rows) => sum + rows, 0)
    console.log(`[polling bench] ${rowsLoaded} rows loaded into ${tableCount} live tables in ${Math.round(loaded.loadMs)} ms; heap ${loaded.heapUsedMiB} MiB`)
    const loadLabel = `${tableCount} live tables: ${SCALE_LABEL} per source, postgres_changes and broadcast`
    figures.push({ suite: SUITE, name: `initial load of ${loadLabel} (concurrent, PostgREST + RLS)`, value: round(loaded.loadMs / 1000, 1), unit: 's', details: { rows: loaded.rows, perTableMs: Object.fromEntries(Object.entries(loaded.perTableMs).map(([series, list]) => [series, list.map(Math.round)])), cacheEntries: loaded.cacheEntries } })
    figures.push({ suite: SUITE, name: `observer process heap after load of ${loadLabel} (with memory caches)`, value: loaded.heapUsedMiB, unit: 'MiB', details: { rssMiB: loaded.rssMiB, baselineHeapMiB: loaded.baselineHeapMiB, bytesPerRow: Math.round(((loaded.heapUsedMiB - loaded.baselineHeapMiB) * 2 ** 20) / rowsLoaded) } })
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
      runnerLoad.enter(next)
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
    // Drops postgres_changes events and database broadcasts alike.
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
    runnerLoad.stop()
    link.send({ type: 'finish' })
    const result = await link.next<ChildResult>('result', 120_000)

    // --- figures ------------------------------------------------------------------------------------------
    const writes = activeWriters.writes
    const writeStats = activeWriters.stats()
    const runSeconds = (phaseStarts.length > 0 ? Date.now() - phaseStarts[0]!.at : 0) / 1000
    figures.push({ suite: SUITE, name: `milestone updates written (${PROJECTS * WRITERS_PER_PROJECT} writers, PostgREST, ~${RATE}/s)`, value: writes.length, unit: 'writes', details: { ...writeStats, perPhase: Object.fromEntries((Object.keys(PHASE_LABEL) as PhaseName[]).map((name) => [name, writes.filter((write) => write.phase === name).length])), runSeconds: Math.round(runSeconds) } })
    const sides = Object.fromEntries(SIDES.map((side) => [side.series, visibilities(writes, result.seen[side.series] ?? {})]))
    const timeline = runTimeline(phaseStarts, writesStoppedAt, sides, result)
    const requestTotals = result.requests.map((entry) => ({ series: entry.series, project: entry.project, run: entry.counts.reduce((sum, count) => sum + count, 0), beforeSchedule: entry.before }))
    figures.push({ suite: SUITE, name: TIMELINE_FIGURE, value: round(timeline.end, 0), unit: 's', details: { requestTotals, timeline } })
    for (const side of SIDES) figures.push(...sideFigures(side, sides[side.series]!))

    // 5. hit ratio of the PM's lookups of just-updated components (the postgres_changes table)
    const run = result.runLookups
    const hitRatio = run.hits + run.misses === 0 ? Number.NaN : (run.hits / (run.hits + run.misses)) * 100
    figures.push({ suite: SUITE, name: 'PM lookup of just-updated components: live.get hit ratio', value: round(hitRatio, 2), unit: '%', target: '≥ 99', ok: hitRatio >= 99, details: { ...run, freshSharePercent: run.lookups === 0 ? undefined : round((run.fresh / run.lookups) * 100, 2), note: 'postgres_changes live tables; fresh = the row held already had the just-written version at lookup time (lookup right after the writer got its response)' } })
    const cacheRatio = run.cacheHits + run.cacheMisses === 0 ? Number.NaN : (run.cacheHits / (run.cacheHits + run.cacheMisses)) * 100
    figures.push({ suite: SUITE, name: 'PM lookup of just-updated components: memoryCache.getSync hit ratio', value: round(cacheRatio, 2), unit: '%', details: { cacheHits: run.cacheHits, cacheMisses: run.cacheMisses } })

    // 6. round trip in the healthy phase, per live-table series
    const healthyWrites = writes.filter((write) => write.phase === 'healthy').length
    for (const series of TABLE_SERIES) {
      const roundTrips = sides[series]!.filter((entry) => entry.write.phase === 'healthy' && entry.roundTrip !== undefined).map((entry) => entry.roundTrip!)
      const trip = summarize(roundTrips)
      const tripsComplete = roundTrips.length === healthyWrites
      figures.push({ suite: SUITE, name: `milestone update round trip (update call → visible in PM live table), ${labelOf(series)}, healthy, p90`, value: round(trip.p90), unit: 'ms', target: '< 1000', ok: trip.p90 < 1000 && tripsComplete, details: { ...trip, writes: healthyWrites } })
      figures.push({ suite: SUITE, name: `milestone update round trip (update call → visible in PM live table), ${labelOf(series)}, healthy, p95`, value: round(trip.p95), unit: 'ms', target: '< 2000', ok: trip.p95 < 2000 && tripsComplete })
    }

    // 7. REST cost, key sweeps and modes per live-table series
    for (const series of TABLE_SERIES) figures.push(...costFigures(series, result, runSeconds, ROWS_PER_PROJECT))

    // 8. did the machine keep up: event-loop delay of both processes and the machine's busy share per phase
    for (const name of Object.keys(PHASE_LABEL) as PhaseName[]) {
      const observers = result.load[name]
      const runner = runnerLoad.phases[name]
      if (!observers || !runner) continue
      figures.push({ suite: SUITE, name: `observer process (${PROJECTS * (TABLE_SERIES.length + 1)} clients): event-loop delay p99, ${PHASE_LABEL[name]}`, value: observers.loopDelayP99Ms, unit: 'ms', details: { ...observers } })
      figures.push({ suite: SUITE, name: `machine CPU busy (all processes on the ${cpus().length} cores), ${PHASE_LABEL[name]}`, value: runner.machineBusyPercent, unit: '%', details: { runner: { ...runner, note: 'the runner process: the Realtime server and the 50 writers (Postgres and PostgREST are processes of their own)' }, observers } })
    }
    figures.push({ suite: SUITE, name: 'observer errors reported (onError of supasync and the live tables)', value: result.errors.count, unit: 'errors', details: { bySeries: result.errors.bySeries, first: result.errors.first, modeTransitions: result.modeTransitions, rawStatuses: result.rawStatuses, rawEvents: result.rawEvents, tables: result.tables.map(({ series, project, rows, tombstones, missedByRealtime, applied }) => ({ series, project, rows, tombstones, missedByRealtime, applied })) } })
    await link.close()
    link = undefined
  } finally {
    runnerLoad.stop()
    if (writers) await writers.stop().catch(() => {})
    if (link) {
      link.send({ type: 'finish' })
      await link.close()
    }
    await stack.stop()
  }
  return figures
}

// Run alone: npx tsx test/bench/liveTable.bench.ts
runAlone(import.meta.url, benchLiveTable)
