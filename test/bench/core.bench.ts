// Benchmarks of @supasync/core against a local stack, side by side with raw realtime-js in the same run.
//
// The stack's Realtime server runs inside the process that starts it (the bench runner), so everything measured
// runs in child processes of this very file (forked with CHILD_FLAG): process.cpuUsage() and the heap then see
// the clients alone, not the server. The writer (a pg Pool) stays in the runner, next to the server, as in
// localStack.bench.ts: it loads the server's process equally for both sides and the measured process not at
// all, whereas a writer process of its own would be one more process competing for the 2 cores.
import { fileURLToPath } from 'node:url'
import { createClient, type RealtimeClientOptions, type SupabaseClient } from '@supabase/supabase-js'
import pg from 'pg'
import WebSocket from 'ws'
import { createSupasync, type ChangesLease, type Supasync, type SupasyncDiagnostics } from '../../packages/core/src/index.js'
import { startLocalStack, type LocalStack } from '../../packages/local/src/index.js'
import { summarize, type Figure } from './stats.js'
import { sendToParent } from './ipc.js'
import { ChildLink, type LinkMessage } from './childLink.js'
import { sleep, waitUntil } from './waitUntil.js'

// `at` is the row's insert time with µs precision (commit_timestamp only has ms). A single-row autocommit
// insert commits right after it, so `callback time − at` is commit-to-callback latency (plus the commit itself).
const CORE_SCHEMA = `
create table public.core_events (
  id bigint generated always as identity primary key,
  project_id int not null default 0,
  at double precision not null default (extract(epoch from clock_timestamp()) * 1000)::double precision,
  body text not null default ''
);
alter publication supabase_realtime add table public.core_events;
`
const TABLE = 'core_events'
const CHILD_FLAG = '--supasync-core-bench-child'
const SELF = fileURLToPath(import.meta.url)

// Figure 1: delivery overhead.
const HOLDERS = 50
const RATE = 200
const SECONDS = 5
const WARMUP_ROWS = 100
type Side = 'supasync' | 'raw'
/** Balanced order (ABBA): a drift of the machine over the runs hits both sides alike. Medians per side. */
const DELIVERY_ORDER: Side[] = ['raw', 'supasync', 'supasync', 'raw']
const PAIRED_ORDERS: Side[][] = [
  ['raw', 'supasync'],
  ['supasync', 'raw'],
]

// Figure 2: memory per lease.
const LEASES = 10_000

// Figure 3: acquire/release cycles.
const CYCLES = 10_000
const CYCLE_BATCH = 200
const WARMUP_CYCLES = 2000
const GRACE_MS = 50

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}


// ---------------------------------------------------------------------------------------------------------
// Runner side
// ---------------------------------------------------------------------------------------------------------

type Message = LinkMessage

/** A forked child of this file in `role`, with typed waits on its messages. */
function forkChild(role: string, args: string[], exposeGc = false): ChildLink {
  return ChildLink.fork(SELF, [CHILD_FLAG, role, ...args], exposeGc ? ['--expose-gc'] : [], `core bench child "${role}"`)
}

/**
 * Send times (ms from start) of `count` rows arriving as a Poisson process at `rate`/s, from a fixed seed so
 * every run replays the same pattern. Evenly spaced rows would lock into a fixed phase with the change
 * stream's 10 ms poll, and that phase (different in every run) would move p50 by ±1 ms from run to run.
 */
function poissonSchedule(rate: number, count: number, seed: number): number[] {
  let state = seed >>> 0
  const random = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const times: number[] = []
  let at = 0
  for (let index = 0; index < count; index++) {
    times.push(at)
    at += (-Math.log(1 - random()) * 1000) / rate
  }
  return times
}

/** Single-row inserts paced against wall time (bursts would flatter the figures); returns the achieved rate. */
async function writeRows(pool: pg.Pool, rate: number, count: number, seed: number): Promise<number> {
  const schedule = poissonSchedule(rate, count, seed)
  const started = performance.now()
  const inflight: Promise<unknown>[] = []
  for (let sent = 0; sent < count; sent++) {
    const wait = started + schedule[sent]! - performance.now()
    if (wait > 1) await sleep(wait)
    inflight.push(pool.query(`insert into ${TABLE} (body) values ($1)`, [`e${sent}`]))
  }
  await Promise.all(inflight)
  return count / ((performance.now() - started) / 1000)
}

interface DeliveryResult extends Message {
  latencies: number[]
  delivered: number
  cpuMicros: number
  cpuUserMicros: number
  cpuWallMs: number
  complete: boolean
  supasync?: { metrics: unknown; diagnostics: SupasyncDiagnostics }
}

interface DeliveryRun {
  side: Side
  p50: number
  p99: number
  cpuPerCallbackMicros: number
  cpuUserShare: number
  delivered: number
  expected: number
  achievedRate: number
  stats: ReturnType<typeof summarize>
  supasync?: DeliveryResult['supasync']
}

/**
 * One run: a fresh client process per side (joined one after the other, so the server fans out to them in
 * that order), warm-up rows, then RATE × SECONDS measured rows. With two sides they receive the very same
 * rows at the same time: the server-side noise (poll phase, scheduling) is then common to both.
 */
async function deliveryRun(stack: LocalStack, pool: pg.Pool, sides: Side[]): Promise<DeliveryRun[]> {
  const links: ChildLink[] = []
  try {
    for (const side of sides) {
      const link = forkChild('delivery', [stack.url, stack.anonKey, side, String(HOLDERS)])
      links.push(link)
      await link.next('ready', 30_000)
    }
    // Warm-up: JIT, socket buffers and pg connections settle before anything is measured.
    await writeRows(pool, RATE, WARMUP_ROWS, 1)
    for (const link of links) link.send({ type: 'drain', expected: WARMUP_ROWS * HOLDERS, timeoutMs: 10_000 })
    await Promise.all(links.map((link) => link.next('drained', 15_000)))
    const rows = RATE * SECONDS
    const expected = rows * HOLDERS
    for (const link of links) link.send({ type: 'start', expected })
    await Promise.all(links.map((link) => link.next('started', 5000)))
    const achievedRate = await writeRows(pool, RATE, rows, 2)
    for (const link of links) link.send({ type: 'finish', timeoutMs: 15_000 })
    const results = await Promise.all(links.map((link) => link.next<DeliveryResult>('result', 30_000)))
    return results.map((result, index) => {
      const stats = summarize(result.latencies)
      return {
        side: sides[index]!,
        p50: round(stats.p50),
        p99: round(stats.p99),
        cpuPerCallbackMicros: result.delivered > 0 ? round(result.cpuMicros / result.delivered, 3) : Number.NaN,
        cpuUserShare: round(result.cpuUserMicros / result.cpuMicros, 3),
        delivered: result.delivered,
        expected,
        achievedRate: Math.round(achievedRate),
        stats: { ...stats, p50: round(stats.p50), p90: round(stats.p90), p95: round(stats.p95), p99: round(stats.p99), max: round(stats.max) },
        supasync: result.supasync,
      }
    })
  } finally {
    await Promise.all(links.map((link) => link.close()))
  }
}

const runDetails = (runs: DeliveryRun[]) =>
  runs.map(({ side, stats, delivered, expected, achievedRate, cpuPerCallbackMicros, cpuUserShare, supasync }) => ({
    side,
    delivered,
    expected,
    achievedRate,
    cpuPerCallbackMicros,
    cpuUserShare,
    ...stats,
    ...(supasync ? { changesDelivered: (supasync.metrics as { counters: { changesDelivered: number } }).counters.changesDelivered, channels: supasync.diagnostics.channels } : {}),
  }))

async function deliveryOverhead(stack: LocalStack): Promise<Figure[]> {
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 8 })
  const runs: DeliveryRun[] = []
  const paired: DeliveryRun[][] = []
  try {
    for (const side of DELIVERY_ORDER) runs.push(...(await deliveryRun(stack, pool, [side])))
    // Cross-check: both sides at once on the same rows, each order once (the first joined is served first).
    for (const sides of PAIRED_ORDERS) paired.push(await deliveryRun(stack, pool, sides))
  } finally {
    await pool.end()
  }
  const of = (side: Side) => runs.filter((run) => run.side === side)
  const pick = (side: Side, key: 'p50' | 'p99' | 'cpuPerCallbackMicros') => round(median(of(side).map((run) => run[key])), 3)
  const pairedRatio = (key: 'p50' | 'p99' | 'cpuPerCallbackMicros') =>
    round(median(paired.map((pair) => pair.find((run) => run.side === 'supasync')![key] / pair.find((run) => run.side === 'raw')![key])), 3)
  const load = `${HOLDERS} holders, ${RATE}/s × ${SECONDS} s`
  const details = {
    holders: HOLDERS,
    rate: RATE,
    seconds: SECONDS,
    arrivals: 'Poisson, same seeded schedule every run',
    order: DELIVERY_ORDER,
    latency: 'callback time − row insert time (clock_timestamp(), µs); single-row autocommit',
    cpu: 'process.cpuUsage() user+system (all threads) from the first measured row to the last expected callback, ÷ callbacks',
    runs: runDetails(runs),
    paired: paired.map(runDetails),
  }
  const figures: Figure[] = []
  for (const key of ['p50', 'p99'] as const) {
    const ours = pick('supasync', key)
    const raw = pick('raw', key)
    const ratio = round(ours / raw, 3)
    figures.push(
      { suite: 'core', name: `delivery ${key}, supasync (${load})`, value: ours, unit: 'ms', details: key === 'p50' ? details : undefined },
      { suite: 'core', name: `delivery ${key}, raw realtime-js (${HOLDERS} listeners, 1 channel)`, value: raw, unit: 'ms' },
      { suite: 'core', name: `delivery ${key} ratio supasync/raw`, value: ratio, unit: 'ratio', target: '≤ 1.05', ok: ratio <= 1.05 },
    )
  }
  const cpuOurs = pick('supasync', 'cpuPerCallbackMicros')
  const cpuRaw = pick('raw', 'cpuPerCallbackMicros')
  figures.push(
    { suite: 'core', name: 'CPU per callback, supasync', value: cpuOurs, unit: 'µs' },
    { suite: 'core', name: 'CPU per callback, raw realtime-js', value: cpuRaw, unit: 'µs' },
    { suite: 'core', name: 'CPU per callback ratio supasync/raw', value: round(cpuOurs / cpuRaw, 3), unit: 'ratio' },
    { suite: 'core', name: 'paired (same rows, both at once): delivery p50 ratio supasync/raw', value: pairedRatio('p50'), unit: 'ratio' },
    { suite: 'core', name: 'paired (same rows, both at once): delivery p99 ratio supasync/raw', value: pairedRatio('p99'), unit: 'ratio' },
    { suite: 'core', name: 'paired (same rows, both at once): CPU per callback ratio supasync/raw', value: pairedRatio('cpuPerCallbackMicros'), unit: 'ratio' },
  )
  const all = [...runs, ...paired.flat()]
  for (const side of ['supasync', 'raw'] as const) {
    const delivered = all.filter((run) => run.side === side).reduce((sum, run) => sum + run.delivered, 0)
    const expected = all.filter((run) => run.side === side).reduce((sum, run) => sum + run.expected, 0)
    figures.push({ suite: 'core', name: `callbacks received / expected (${side})`, value: round(delivered / expected, 4), unit: 'ratio', target: '= 1', ok: delivered === expected })
  }
  return figures
}

interface LeaseScenarioResult {
  specs: number
  leases: number
  baselineHeap: number
  /** Heap right after the 10,000 synchronous `changes()` calls (joins not yet answered). */
  pendingHeap: number
  liveHeap: number
  live: number
  liveWithinMs: number
  subscribeMs: number
  releaseMs: number
  diagnostics: SupasyncDiagnostics
  realtimeChannels: number
  errorCount: number
  errors: string[]
}

async function leaseMemory(stack: LocalStack): Promise<Figure[]> {
  const link = forkChild('memory', [stack.url, stack.anonKey], true)
  try {
    await link.next('ready', 30_000)
    const { scenarios } = await link.next<Message & { scenarios: LeaseScenarioResult[] }>('result', 150_000)
    const figures: Figure[] = []
    for (const scenario of scenarios) {
      const perLease = Math.round((scenario.liveHeap - scenario.baselineHeap) / scenario.leases)
      const label = `${scenario.leases.toLocaleString('en')} leases, ${scenario.specs.toLocaleString('en')} specs`
      const details = {
        ...scenario,
        perLeaseBeforeJoin: Math.round((scenario.pendingHeap - scenario.baselineHeap) / scenario.leases),
        heapDeltaBytes: scenario.liveHeap - scenario.baselineHeap,
      }
      figures.push(
        { suite: 'core', name: `memory per lease (${label})`, value: perLease, unit: 'B', target: '≤ 1024', ok: perLease <= 1024, details },
        { suite: 'core', name: `channels (${label})`, value: scenario.diagnostics.channels, unit: 'channels', target: '≤ 100', ok: scenario.diagnostics.channels <= 100 },
        { suite: 'core', name: `leases live (${label})`, value: round(scenario.live / scenario.leases, 4), unit: 'ratio', target: '= 1', ok: scenario.live === scenario.leases },
      )
    }
    return figures
  } finally {
    await link.close()
  }
}

interface ResourceSnapshot {
  heap: number
  resources: string[]
}

interface CycleResult extends Message {
  cold: ResourceSnapshot
  warm: ResourceSnapshot
  midpoint: ResourceSnapshot
  afterDestroy: ResourceSnapshot
  afterDisconnect: ResourceSnapshot
  settled: ResourceSnapshot
  settledWithinMs: number
  diagnosticsBeforeDestroy: SupasyncDiagnostics
  diagnosticsAfterDestroy: SupasyncDiagnostics
  realtimeChannelsBeforeDestroy: number
  cyclesMs: number
  graceWaitMs: number
  metrics: unknown
  errorCount: number
  errors: string[]
}

/** Per-type difference of two getActiveResourcesInfo() lists, e.g. { Timeout: 1, TCPSocketWrap: -1 }. */
function resourceDiff(from: string[], to: string[]): Record<string, number> {
  const counts = new Map<string, number>()
  for (const name of to) counts.set(name, (counts.get(name) ?? 0) + 1)
  for (const name of from) counts.set(name, (counts.get(name) ?? 0) - 1)
  return Object.fromEntries([...counts].filter(([, count]) => count !== 0))
}

async function acquireReleaseCycles(stack: LocalStack): Promise<Figure[]> {
  const link = forkChild('cycles', [stack.url, stack.anonKey], true)
  try {
    await link.next('ready', 30_000)
    const result = await link.next<CycleResult>('result', 90_000)
    const before = result.diagnosticsBeforeDestroy
    // Every count but the monitor's own heartbeat timer (alive until destroy) and channels (a figure of its own).
    const { timers: _heartbeatTimer, channels, ...counts } = before
    const leftovers = Object.values(counts).reduce((sum, count) => sum + count, 0)
    const heapDelta = result.afterDestroy.heap - result.warm.heap
    const resourcesDelta = result.afterDestroy.resources.length - result.warm.resources.length
    const settledDelta = result.settled.resources.length - result.cold.resources.length
    const details = {
      cycles: CYCLES,
      graceMs: GRACE_MS,
      cyclesMs: Math.round(result.cyclesMs),
      graceWaitMs: Math.round(result.graceWaitMs),
      diagnosticsBeforeDestroy: before,
      diagnosticsAfterDestroy: result.diagnosticsAfterDestroy,
      realtimeChannelsBeforeDestroy: result.realtimeChannelsBeforeDestroy,
      heap: {
        cold: result.cold.heap,
        warm: result.warm.heap,
        midpoint: result.midpoint.heap,
        afterDestroy: result.afterDestroy.heap,
        deltaVsWarm: heapDelta,
        firstHalf: result.midpoint.heap - result.warm.heap,
        secondHalf: result.afterDestroy.heap - result.midpoint.heap,
        deltaVsCold: result.afterDestroy.heap - result.cold.heap,
        bytesPerCycle: round(heapDelta / CYCLES, 2),
      },
      resources: {
        cold: result.cold.resources.length,
        warm: result.warm.resources.length,
        afterDestroyVsWarm: resourceDiff(result.warm.resources, result.afterDestroy.resources),
        // What realtime-js itself holds once the app is done: supasync leaves the socket to the app.
        realtimeJsAfterDestroyVsCold: resourceDiff(result.cold.resources, result.afterDestroy.resources),
        realtimeJsAfterDisconnectVsCold: resourceDiff(result.cold.resources, result.afterDisconnect.resources),
        settledVsCold: resourceDiff(result.cold.resources, result.settled.resources),
        settledWithinMs: Math.round(result.settledWithinMs),
      },
      metrics: result.metrics,
      errors: result.errors,
    }
    return [
      {
        suite: 'core',
        name: `${CYCLES.toLocaleString('en')} acquire/release: holders+leases+bindings+rooms+listeners after grace`,
        value: leftovers,
        unit: 'count',
        target: '= 0',
        ok: leftovers === 0,
        details,
      },
      { suite: 'core', name: 'acquire/release: channels after grace', value: channels, unit: 'channels', target: '= 0', ok: channels === 0 },
      // Nothing fails on a healthy local stack: every report here is a false alarm an app would see.
      { suite: 'core', name: 'acquire/release: onError reports', value: result.errorCount, unit: 'errors', target: '= 0', ok: result.errorCount === 0 },
      { suite: 'core', name: 'acquire/release: supasync timers after destroy', value: result.diagnosticsAfterDestroy.timers, unit: 'timers', target: '= 0', ok: result.diagnosticsAfterDestroy.timers === 0 },
      { suite: 'core', name: 'acquire/release: heap delta after destroy (vs warm baseline)', value: heapDelta, unit: 'B' },
      { suite: 'core', name: 'acquire/release: active resources delta after destroy (vs warm baseline)', value: resourcesDelta, unit: 'resources', target: '= 0', ok: resourcesDelta === 0 },
      {
        suite: 'core',
        name: 'acquire/release: active resources delta after realtime-js disconnect settles (vs cold)',
        value: settledDelta,
        unit: 'resources',
        target: '= 0',
        ok: settledDelta === 0,
      },
    ]
  } finally {
    await link.close()
  }
}

/** `npm run bench` part for @supasync/core: delivery overhead vs raw realtime-js, memory per lease, leak check. */
export async function benchCore(): Promise<Figure[]> {
  const stack = await startLocalStack({ sql: [CORE_SCHEMA] })
  try {
    return [...(await deliveryOverhead(stack)), ...(await leaseMemory(stack)), ...(await acquireReleaseCycles(stack))]
  } finally {
    await stack.stop()
  }
}

// ---------------------------------------------------------------------------------------------------------
// Child side
// ---------------------------------------------------------------------------------------------------------

const report: (message: Message) => Promise<void> = sendToParent

function clientFor(url: string, key: string): SupabaseClient {
  return createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as unknown as RealtimeClientOptions['transport'] },
  })
}

function requireGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('core bench child needs --expose-gc')
  return () => {
    gc()
    gc()
  }
}

const heapUsed = () => process.memoryUsage().heapUsed
const snapshot = (): ResourceSnapshot => ({ heap: heapUsed(), resources: process.getActiveResourcesInfo() })

/** Waits for the runner's next message of `type`. */
function nextCommand<T extends Message>(type: string): Promise<T> {
  return new Promise((resolve) => {
    const listener = (message: Message) => {
      if (message.type !== type) return
      process.off('message', listener)
      resolve(message as T)
    }
    process.on('message', listener)
  })
}

async function deliveryChild(url: string, key: string, side: Side, holders: number): Promise<void> {
  const supabase = clientFor(url, key)
  const origin = performance.timeOrigin
  let count = 0
  let target = Number.POSITIVE_INFINITY
  let latencies: Float64Array | undefined
  let cpuStart: NodeJS.CpuUsage | undefined
  let cpu: NodeJS.CpuUsage | undefined
  let cpuWallStart = 0
  let cpuWallMs = 0
  // The same callback for both sides: one clock read, one store, one counter.
  const onChange = (change: { new: Record<string, unknown> }) => {
    const now = origin + performance.now()
    if (latencies !== undefined && count < latencies.length) latencies[count] = now - (change.new.at as number)
    if (++count === target && cpuStart !== undefined) {
      cpu = process.cpuUsage(cpuStart)
      cpuWallMs = performance.now() - cpuWallStart
    }
  }

  let sync: Supasync | undefined
  if (side === 'supasync') {
    sync = createSupasync(supabase, { onError: (error) => console.error(`[core bench] ${error.message}`) })
    const instance = sync
    const leases = Array.from({ length: holders }, () => instance.changes({ table: TABLE, event: 'INSERT' }, onChange))
    if (!(await waitUntil(() => leases.every((lease) => lease.status.get() === 'live'), 20_000))) throw new Error('supasync leases did not go live within 20 s')
  } else {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('raw channel did not go live within 20 s')), 20_000)
      const channel = supabase.channel('core-bench-raw')
      for (let index = 0; index < holders; index++) channel.on('postgres_changes', { event: 'INSERT', schema: 'public', table: TABLE }, onChange)
      channel.on('system', {}, (message: { extension?: string; status?: string; message?: string }) => {
        if (message.extension !== 'postgres_changes') return
        clearTimeout(timer)
        if (message.status === 'ok') resolve()
        else reject(new Error(`raw channel refused: ${message.message}`))
      })
      channel.subscribe()
    })
  }
  const drainCommand = nextCommand<Message & { expected: number; timeoutMs: number }>('drain')
  await report({ type: 'ready' })

  const drain = await drainCommand
  await waitUntil(() => count >= drain.expected, drain.timeoutMs, 5)
  const startCommand = nextCommand<Message & { expected: number }>('start')
  await report({ type: 'drained', count })

  const start = await startCommand
  const finishCommand = nextCommand<Message & { timeoutMs: number }>('finish')
  latencies = new Float64Array(start.expected)
  count = 0
  target = start.expected
  cpuWallStart = performance.now()
  cpuStart = process.cpuUsage()
  await report({ type: 'started' })

  const finish = await finishCommand
  const complete = await waitUntil(() => count >= target, finish.timeoutMs, 5)
  // Incomplete run: the CPU window then runs to the timeout (reported as incomplete).
  if (!cpu) {
    cpu = process.cpuUsage(cpuStart)
    cpuWallMs = performance.now() - cpuWallStart
  }
  const delivered = Math.min(count, latencies.length)
  const result: DeliveryResult = {
    type: 'result',
    latencies: Array.from(latencies.subarray(0, delivered)),
    delivered: count,
    cpuMicros: cpu.user + cpu.system,
    cpuUserMicros: cpu.user,
    cpuWallMs,
    complete,
    supasync: sync ? { metrics: sync.metrics(), diagnostics: sync.diagnostics() } : undefined,
  }
  await report(result)
  process.exit(0)
}

const noop = () => {}

/** onError sink for measured children: counts, keeps the first few (thousands of kept messages would show in the heap). */
function errorLog(): { onError: (error: Error) => void; count: () => number; first: string[] } {
  const first: string[] = []
  let count = 0
  return {
    onError: (error) => {
      count++
      if (first.length < 5) first.push(error.message)
    },
    count: () => count,
    first,
  }
}

async function leaseScenario(supabase: SupabaseClient, specs: number, gc: () => void): Promise<LeaseScenarioResult> {
  const errors = errorLog()
  const sync = createSupasync(supabase, { onError: errors.onError })
  // App-side storage is allocated before the baseline; the filter strings are made in the loop as an app would.
  // One shared no-op callback: the figure is what supasync (and realtime-js under it) keeps per lease, not the
  // app's closures.
  const leases = new Array<ChangesLease>(LEASES).fill(undefined as unknown as ChangesLease)
  gc()
  const baselineHeap = heapUsed()
  const subscribeStarted = performance.now()
  for (let index = 0; index < LEASES; index++) {
    const filter = specs === LEASES ? `id=eq.${index}` : `project_id=eq.${index % specs}`
    leases[index] = sync.changes({ table: TABLE, filter }, noop)
  }
  const subscribeMs = performance.now() - subscribeStarted
  gc()
  const pendingHeap = heapUsed()
  const liveStarted = performance.now()
  const countLive = () => leases.reduce((sum, lease) => sum + (lease.status.get() === 'live' ? 1 : 0), 0)
  await waitUntil(() => countLive() === LEASES, 60_000, 50)
  const liveWithinMs = performance.now() - liveStarted
  // Let the last join replies and system messages settle before the heap is read.
  await sleep(300)
  gc()
  const liveHeap = heapUsed()
  const live = countLive()
  const diagnostics = sync.diagnostics()
  const realtimeChannels = supabase.getChannels().length
  const releaseStarted = performance.now()
  for (const lease of leases) lease.release()
  const releaseMs = performance.now() - releaseStarted
  await sync.destroy()
  await waitUntil(() => supabase.getChannels().length === 0, 20_000, 50)
  return {
    specs,
    leases: LEASES,
    baselineHeap,
    pendingHeap,
    liveHeap,
    live,
    liveWithinMs: Math.round(liveWithinMs),
    subscribeMs: Math.round(subscribeMs),
    releaseMs: Math.round(releaseMs),
    diagnostics,
    realtimeChannels,
    errorCount: errors.count(),
    errors: errors.first,
  }
}

async function memoryChild(url: string, key: string): Promise<void> {
  const gc = requireGc()
  const supabase = clientFor(url, key)
  await report({ type: 'ready' })
  // Warm-up: connect the socket and run the code paths once, so that no baseline below misses them.
  const warm = createSupasync(supabase, { onError: noop })
  const lease = warm.changes({ table: TABLE, filter: 'project_id=eq.-1' }, noop)
  await waitUntil(() => lease.status.get() === 'live', 10_000)
  lease.release()
  await warm.destroy()
  await waitUntil(() => supabase.getChannels().length === 0, 10_000)
  const scenarios = [await leaseScenario(supabase, 100, gc), await leaseScenario(supabase, LEASES, gc)]
  await report({ type: 'result', scenarios })
  process.exit(0)
}

/**
 * `cycles` acquire/release pairs, alternating rooms and changes leases (50 topics, 50 specs). Between batches
 * the wait alternates below and past the grace period, so rooms and bindings are both re-acquired within grace
 * and closed then re-created (joins and leaves, make-before-break swaps of the changes channel).
 */
async function runCycles(sync: Supasync, cycles: number): Promise<void> {
  for (let batch = 0; batch * CYCLE_BATCH < cycles; batch++) {
    for (let index = batch * CYCLE_BATCH; index < Math.min(cycles, (batch + 1) * CYCLE_BATCH); index++) {
      const slot = (index >> 1) % 50
      if (index % 2 === 0) sync.channel(`t${slot}`).release()
      else sync.changes({ table: TABLE, filter: `project_id=eq.${slot}` }, noop).release()
    }
    await sleep(batch % 2 === 0 ? GRACE_MS / 5 : GRACE_MS * 1.6)
  }
}

const quiet = (diagnostics: SupasyncDiagnostics) =>
  diagnostics.rooms + diagnostics.roomHolders + diagnostics.roomListeners + diagnostics.changeBindings + diagnostics.changeLeases + diagnostics.channels === 0

async function cyclesChild(url: string, key: string): Promise<void> {
  const gc = requireGc()
  const errors = errorLog()
  const supabase = clientFor(url, key)
  await report({ type: 'ready' })
  gc()
  const cold = snapshot()
  // Warm-up round on a throwaway instance: the socket connects, code compiles, realtime-js arms its
  // empty-channels disconnect timer. The warm baseline holds all of that, so a delta against it is supasync's.
  const warmSync = createSupasync(supabase, { graceMs: GRACE_MS, onError: noop })
  await runCycles(warmSync, WARMUP_CYCLES)
  await waitUntil(() => quiet(warmSync.diagnostics()), 10_000)
  await warmSync.destroy()
  await waitUntil(() => supabase.getChannels().length === 0, 10_000)
  await sleep(100)
  gc()
  const warm = snapshot()

  const sync = createSupasync(supabase, { graceMs: GRACE_MS, onError: errors.onError })
  let cyclesMs = 0
  // Two halves with a quiet, collected midpoint: growth over the second half tells a leak (it keeps growing)
  // from one-time costs (V8 optimizing the code paths of the first half).
  let cyclesStarted = performance.now()
  await runCycles(sync, CYCLES / 2)
  cyclesMs += performance.now() - cyclesStarted
  await sleep(GRACE_MS * 2)
  await waitUntil(() => quiet(sync.diagnostics()), 10_000)
  gc()
  const midpoint = snapshot()
  cyclesStarted = performance.now()
  await runCycles(sync, CYCLES / 2)
  cyclesMs += performance.now() - cyclesStarted
  const graceStarted = performance.now()
  await sleep(GRACE_MS * 2)
  await waitUntil(() => quiet(sync.diagnostics()), 10_000)
  const graceWaitMs = performance.now() - graceStarted
  const diagnosticsBeforeDestroy = sync.diagnostics()
  const realtimeChannelsBeforeDestroy = supabase.getChannels().length
  const metrics = sync.metrics()
  await sync.destroy()
  const diagnosticsAfterDestroy = sync.diagnostics()
  await waitUntil(() => supabase.getChannels().length === 0, 10_000)
  await sleep(100)
  gc()
  const afterDestroy = snapshot()

  // The realtime-js part: the app disconnects the socket it owns; realtime-js 2.109 keeps a 10 s timer of its own.
  await supabase.realtime.disconnect()
  const afterDisconnect = snapshot()
  const settleStarted = performance.now()
  await waitUntil(() => process.getActiveResourcesInfo().length <= cold.resources.length, 12_000, 100)
  const settledWithinMs = performance.now() - settleStarted
  gc()
  const settled = snapshot()
  const result: CycleResult = {
    type: 'result',
    cold,
    warm,
    midpoint,
    afterDestroy,
    afterDisconnect,
    settled,
    settledWithinMs,
    diagnosticsBeforeDestroy,
    diagnosticsAfterDestroy,
    realtimeChannelsBeforeDestroy,
    cyclesMs,
    graceWaitMs,
    metrics,
    errorCount: errors.count(),
    errors: errors.first,
  }
  await report(result)
  process.exit(0)
}

async function childMain(args: string[]): Promise<void> {
  const [role, url, key, ...rest] = args as [string, string, string, ...string[]]
  if (role === 'delivery') await deliveryChild(url, key, rest[0] as Side, Number(rest[1]))
  else if (role === 'memory') await memoryChild(url, key)
  else if (role === 'cycles') await cyclesChild(url, key)
  else throw new Error(`unknown core bench child role "${role}"`)
}

if (process.argv[2] === CHILD_FLAG) {
  childMain(process.argv.slice(3)).catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
