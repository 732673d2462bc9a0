// The observers of the polling bench (liveTable.bench.ts), in one child process it forks, so their heap and GC
// pauses load the clients only, the same for every series. Per project, each on its own supabase-js client signed in
// as the project's PM:
// - `supasync postgres_changes`: createSupasync + createLiveTable({ filter: { project_id } }) with a memory cache;
// - `supasync broadcast`: the same live table with source 'broadcast' on the project's private topic, fed by the
//   supasync.enable_broadcast trigger (the topic policy on realtime.messages admits the project's members);
// - `raw realtime-js`: supabase.channel().on('postgres_changes', { filter: project_id=eq.p }).
// Every REST request of a client is counted (a counting fetch given to supabase-js) per time bucket, and by kind
// (restRequests.ts) and the live table's mode when it started. Event-loop delay and CPU are recorded per phase.
import type { SupabaseClient } from '@supabase/supabase-js'
import { memoryCache, type MemoryCache } from '../../packages/cache/src/index.js'
import { createSupasync, type Supasync, type SupasyncError } from '../../packages/core/src/index.js'
import { createLiveTable, parseVersion, type LiveMode, type LiveTable } from '../../packages/polling/src/index.js'
import { sendToParent } from './ipc.js'
import type { LinkMessage } from './childLink.js'
import { PhaseLoad, type PhaseLoadFigures } from './phaseLoad.js'
import { fetchUrl, RequestTally, restRequestKind } from './restRequests.js'
import { sleep, waitUntil } from './waitUntil.js'
import { summarize } from './stats.js'
import { BucketCounter, SERIES } from './timeline.js'

/** The flag liveTable.bench.ts forks this file with (it imports only types and constants from here). */
export const CHILD_FLAG = '--supasync-polling-bench-child'

/** The live-table series, in the order they are created and reported. */
export const TABLE_SERIES = [SERIES.supasync, SERIES.broadcast] as const
export type TableSeries = (typeof TABLE_SERIES)[number]

export interface ObserverConfig {
  url: string
  anonKey: string
  /** The PM's access token of each project (index project − 1). */
  tokens: string[]
  projects: number
  /** Width of the REST request buckets, ms. */
  requestBucketMs: number
  /** The broadcast topic of project p is `${topicPrefix}${p}` (what the bench's enable_broadcast expression names). */
  topicPrefix: string
}

/** [key, version µs, visible at (Date.now()), source: 0 realtime, 1 poll] */
export type Observation = [string, number, number, number]

export interface ChildResult extends LinkMessage {
  /** Per series, per project: every row version each client saw after the load. */
  seen: Record<string, Record<string, Observation[]>>
  /** Per live-table series: table time (ms, summed over its tables) in each mode, per phase ('setup': before the run). */
  modes: Record<string, Record<string, Record<string, number>>>
  /** Mode changes per live-table series. */
  modeTransitions: Record<string, number>
  runLookups: { lookups: number; hits: number; misses: number; fresh: number; cacheHits: number; cacheMisses: number }
  /** Each live table's counters at the end (whole run, load included). */
  tables: {
    series: TableSeries
    project: number
    rows: number
    tombstones: number
    missedByRealtime: number
    applied: Record<string, number>
    sweep: { sweeps: number; requests: number; dropped: number; adopted: number; totalMs: number; digestChecks?: number; digestMismatches?: number }
    cache: unknown
  }[]
  rawStatuses: Record<string, number>
  rawEvents: number
  errors: { count: number; bySeries: Record<string, number>; first: string[] }
  /** Each live table's mode since its creation: `mode[i]` from `at[i]` (Date.now()). */
  modeLogs: { series: TableSeries; project: number; at: number[]; mode: LiveMode[] }[]
  /**
   * REST requests of every client: per bucket of requestBucketMs since the run started, before it (the load), and by
   * `phase|mode|kind` (RequestTally; phase 'setup' before the run, mode 'none' for raw clients).
   */
  requests: { series: string; project: number; counts: number[]; before: number; tally: Record<string, number> }[]
  /** Event-loop delay and CPU of this process per phase. */
  load: Record<string, PhaseLoadFigures>
  /** Date.now() when the child stopped observing. */
  finishedAt: number
}

export interface LoadedMessage extends LinkMessage {
  loadMs: number
  /** Per live-table series: ms from the start of the load until each table was ready. */
  perTableMs: Record<string, number[]>
  /** Rows held, per live-table series. */
  rows: Record<string, number>
  cacheEntries: number
  heapUsedMiB: number
  rssMiB: number
  baselineHeapMiB: number
}

export interface LookupsMessage extends LinkMessage {
  liveGet: ReturnType<typeof summarize>
  cacheGet: ReturnType<typeof summarize>
  cacheGetSync: ReturnType<typeof summarize>
  lookups: number
  tableRows: number
  cacheEntries: number
}

type Component = { id: string; project_id: number; milestone: string; updated_at: string }

/** A client signed in with `token`; `onRequest` sees the URL of every REST request it starts, before it starts. */
async function createClientFor(url: string, anonKey: string, token: string, onRequest: (url: string) => void): Promise<SupabaseClient> {
  const { createClient } = await import('@supabase/supabase-js')
  const WebSocket = (await import('ws')).default
  const supabase = createClient(url, anonKey, {
    accessToken: async () => token,
    realtime: { transport: WebSocket as never },
    global: {
      fetch: (input, init) => {
        onRequest(fetchUrl(input))
        return fetch(input, init)
      },
    },
  })
  await supabase.realtime.setAuth(token)
  return supabase
}

/** One live table of one series and project, with what the bench records of it. */
interface TableObserver {
  series: TableSeries
  project: number
  supabase: SupabaseClient
  sync: Supasync
  live: LiveTable<Component>
  cache: MemoryCache<Component>
  mode: { mode: LiveMode; since: number }
  /** Every mode change with its Date.now(), for the mode timeline chart. */
  modeLog: { at: number[]; mode: LiveMode[] }
  requests: BucketCounter
  tally: RequestTally
  readyMs?: number
}

interface RawObserver {
  project: number
  client: SupabaseClient
  requests: BucketCounter
  tally: RequestTally
}

async function childMain(config: ObserverConfig): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
  let phase = 'setup'
  const load = new PhaseLoad()
  const errors = { count: 0, bySeries: {} as Record<string, number>, first: [] as string[] }
  const onErrorOf = (series: string) => (error: SupasyncError<string> | Error) => {
    errors.count++
    errors.bySeries[series] = (errors.bySeries[series] ?? 0) + 1
    if (errors.first.length < 10) errors.first.push(`${new Date().toISOString()} [${phase}] ${series}: ${error.message}`)
  }
  const modes: Record<string, Record<string, Record<string, number>>> = Object.fromEntries(TABLE_SERIES.map((series) => [series, {}]))
  const modeTransitions: Record<string, number> = Object.fromEntries(TABLE_SERIES.map((series) => [series, 0]))
  const seen: Record<string, Record<string, Observation[]>> = { [SERIES.supasync]: {}, [SERIES.broadcast]: {}, [SERIES.raw]: {} }
  const rawStatuses: Record<string, number> = {}
  let rawEvents = 0

  gc()
  const baselineHeap = process.memoryUsage().heapUsed
  const tables: TableObserver[] = []
  const raws: RawObserver[] = []
  const loadStarted = performance.now()
  const openTable = async (series: TableSeries, project: number): Promise<TableObserver> => {
    const token = config.tokens[project - 1]!
    const requests = new BucketCounter(config.requestBucketMs)
    const tally = new RequestTally()
    // Requests are told apart by the mode the table is in when they start; the table exists only after its client.
    const mode = { mode: 'catching-up' as LiveMode, since: Date.now() }
    const supabase = await createClientFor(config.url, config.anonKey, token, (url) => {
      requests.add(Date.now())
      tally.add(phase, mode.mode, restRequestKind(url))
    })
    const onError = onErrorOf(series)
    const sync = createSupasync(supabase, { onError })
    // The cache's own namespace is the table's (cacheNamespace), so the lookups below read the rows it writes.
    const cacheNamespace = `user-of-project-${project}-${series === SERIES.supasync ? 'changes' : 'broadcast'}`
    const cache = memoryCache<Component>({ maxEntries: 200_000, namespace: cacheNamespace })
    const observations: Observation[] = (seen[series]![project] = [])
    const live = createLiveTable<Component>(sync, {
      supabase,
      table: 'components',
      filter: { project_id: project },
      ...(series === SERIES.broadcast ? { source: 'broadcast' as const, topic: `${config.topicPrefix}${project}` } : {}),
      cache,
      cacheNamespace,
      onError,
      onChange: (change) => {
        if (change.source === 'load' || change.row === undefined) return
        observations.push([change.key, change.version, Date.now(), change.source === 'poll' ? 1 : 0])
      },
    })
    mode.mode = live.freshness.get().mode
    const observer: TableObserver = { series, project, supabase, sync, live, cache, mode, modeLog: { at: [Date.now()], mode: [mode.mode] }, requests, tally }
    live.ready.then(() => (observer.readyMs = performance.now() - loadStarted), () => {})
    return observer
  }
  for (let project = 1; project <= config.projects; project++) {
    for (const series of TABLE_SERIES) tables.push(await openTable(series, project))
    const requests = new BucketCounter(config.requestBucketMs)
    const tally = new RequestTally()
    const client = await createClientFor(config.url, config.anonKey, config.tokens[project - 1]!, (url) => {
      requests.add(Date.now())
      tally.add(phase, 'none', restRequestKind(url))
    })
    raws.push({ project, client, requests, tally })
  }
  const account = (observer: TableObserver, now: number) => {
    const bucket = (modes[observer.series]![phase] ??= {})
    bucket[observer.mode.mode] = (bucket[observer.mode.mode] ?? 0) + (now - observer.mode.since)
    observer.mode.since = now
  }
  for (const observer of tables) {
    observer.live.freshness.subscribe((freshness) => {
      if (freshness.mode === observer.mode.mode) return
      const now = Date.now()
      account(observer, now)
      observer.mode.mode = freshness.mode
      observer.modeLog.at.push(now)
      observer.modeLog.mode.push(freshness.mode)
      modeTransitions[observer.series]!++
    })
  }
  await Promise.all(tables.map((observer) => observer.live.ready))
  const loadMs = performance.now() - loadStarted
  await sleep(100) // cache writes are flushed in a microtask; let them land
  gc()
  const memory = process.memoryUsage()
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20)
  const ofSeries = (series: TableSeries) => tables.filter((observer) => observer.series === series)
  await sendToParent({
    type: 'loaded',
    loadMs,
    perTableMs: Object.fromEntries(TABLE_SERIES.map((series) => [series, ofSeries(series).map((observer) => observer.readyMs ?? Number.NaN)])),
    rows: Object.fromEntries(TABLE_SERIES.map((series) => [series, ofSeries(series).reduce((sum, observer) => sum + observer.live.stats().rows, 0)])),
    cacheEntries: tables.reduce((sum, observer) => sum + observer.cache.size, 0),
    heapUsedMiB: mib(memory.heapUsed),
    rssMiB: mib(memory.rss),
    baselineHeapMiB: mib(baselineHeap),
  } satisfies LoadedMessage)

  // Raw realtime-js observers: one channel per project on its own client, the PM's token.
  await Promise.all(
    raws.map(
      (raw) =>
        new Promise<void>((resolve, reject) => {
          const observations: Observation[] = (seen[SERIES.raw]![raw.project] = [])
          const timer = setTimeout(() => reject(new Error(`raw observer of project ${raw.project} not subscribed within 60 s`)), 60_000)
          raw.client
            .channel(`raw-components-${raw.project}`)
            .on('postgres_changes', { event: '*', schema: 'public', table: 'components', filter: `project_id=eq.${raw.project}` }, (payload) => {
              rawEvents++
              const row = payload.new as Partial<Component>
              const version = parseVersion(row.updated_at)
              if (row.id !== undefined && version !== undefined) observations.push([row.id, version, Date.now(), 0])
            })
            .on('system', {}, (message: { extension?: string; status?: string; message?: string }) => {
              if (message.extension !== 'postgres_changes') return
              if (message.status === 'ok') {
                clearTimeout(timer)
                resolve()
              } else onErrorOf(SERIES.raw)(new Error(`raw observer ${raw.project}: ${message.message}`))
            })
            .subscribe((status) => {
              rawStatuses[status] = (rawStatuses[status] ?? 0) + 1
            })
        }),
    ),
  )
  if (!(await waitUntil(() => tables.every((observer) => observer.live.freshness.get().mode === 'realtime'), 60_000))) {
    throw new Error(`live tables not in mode realtime within 60 s: ${tables.map((observer) => `${observer.series} ${observer.project}: ${observer.live.freshness.get().mode}`).join(', ')}`)
  }
  // The PM's lookups read the postgres_changes table of the project (the figure predates the broadcast series).
  const lookupTable = new Map(ofSeries(SERIES.supasync).map((observer) => [observer.project, observer]))
  const runLookups = { lookups: 0, hits: 0, misses: 0, fresh: 0, cacheHits: 0, cacheMisses: 0 }
  let statsAtStart: { hits: number; misses: number }[] | undefined
  let runStartedAt: number | undefined
  let finishing = false

  process.on('message', (message: LinkMessage) => {
    if (message.type === 'lookup') void lookupBench(lookupTable.get(1)!).then((result) => sendToParent({ type: 'lookups', ...result }))
    else if (message.type === 'phase') {
      const now = Date.now()
      for (const observer of tables) {
        account(observer, now)
        // The first phase starts the run: requests are counted from the runner's start time on.
        observer.requests.begin(message.at as number)
      }
      for (const raw of raws) raw.requests.begin(message.at as number)
      phase = message.name as string
      load.enter(phase)
      runStartedAt ??= message.at as number
      if (statsAtStart === undefined) statsAtStart = [...lookupTable.values()].map((observer) => observer.live.stats())
    } else if (message.type === 'write') {
      const observer = lookupTable.get(message.project as number)
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
    load.stop()
    for (const observer of tables) account(observer, now)
    if (statsAtStart) {
      const stats = [...lookupTable.values()].map((observer) => observer.live.stats())
      runLookups.hits = stats.reduce((sum, stat, index) => sum + stat.hits - statsAtStart![index]!.hits, 0)
      runLookups.misses = stats.reduce((sum, stat, index) => sum + stat.misses - statsAtStart![index]!.misses, 0)
    }
    const runMs = now - (runStartedAt ?? now)
    const result: ChildResult = {
      type: 'result',
      seen,
      modes,
      modeTransitions,
      runLookups,
      tables: tables.map((observer) => {
        const { rows, tombstones, missedByRealtime, applied, sweep } = observer.live.stats()
        return { series: observer.series, project: observer.project, rows, tombstones, missedByRealtime, applied, sweep, cache: observer.cache.stats() }
      }),
      rawStatuses,
      rawEvents,
      errors,
      modeLogs: tables.map((observer) => ({ series: observer.series, project: observer.project, ...observer.modeLog })),
      requests: [
        ...tables.map((observer) => ({ series: observer.series, project: observer.project, counts: observer.requests.snapshot(runMs), before: observer.requests.before, tally: observer.tally.counts })),
        ...raws.map((raw) => ({ series: SERIES.raw, project: raw.project, counts: raw.requests.snapshot(runMs), before: raw.requests.before, tally: raw.tally.counts })),
      ],
      load: load.phases,
      finishedAt: now,
    }
    await sendToParent(result)
    for (const observer of tables) {
      observer.live.destroy()
      await Promise.race([observer.sync.destroy(), sleep(5000)])
      await Promise.race([observer.supabase.removeAllChannels(), sleep(5000)])
      observer.supabase.realtime.disconnect()
      await observer.cache.close()
    }
    for (const raw of raws) {
      await Promise.race([raw.client.removeAllChannels(), sleep(5000)])
      raw.client.realtime.disconnect()
    }
    process.exit(0)
  }
}

/** p99 of single lookups on one project's live table and its memory cache, each call timed on its own. */
async function lookupBench(observer: { live: LiveTable<Component>; cache: MemoryCache<Component> }): Promise<Omit<LookupsMessage, 'type'>> {
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
  childMain(JSON.parse(process.argv[3]!) as ObserverConfig).catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
