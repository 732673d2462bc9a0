// What sync.inspect() costs (issue #17 point 1: "cheap and allocation-free when nothing changed"), on an instance
// holding a lot: 10,000 sync.changes() leases on 10,000 distinct specs (the pool packs them onto 99 channels), 10 live
// tables of 100,000 rows each, a queue with 50 pending writes and a presence room with 100 members.
//
// No server: the instance is a real supasync over the fake realtime client (packages/core/test/fakeRealtime.ts), each
// live table loads its 100,000 rows from its own fake PostgREST (packages/polling/test/fakes.ts), all on a manual
// clock. Every channel is joined and confirmed, heartbeats are answered, every table is in realtime mode before
// anything is measured, and the clock then stands still, so no timer fires while inspect() is measured.
//
// 1. A quiet instance: inspect() in batches of 1,000 calls (a call is too short for the clock to time alone); the
//    figure is the time per call of each batch, p50 and p99 over 1,000 batches. Allocation: the heap growth over
//    100,000 calls with no garbage collection in between (gc() first; an empty loop of the same shape measured the
//    same way is subtracted).
// 2. The first inspect() after a change, timed call by call: after one postgres_changes event on one channel (that
//    channel's entry and the live tables' are built again), after a heartbeat reply (the connection's and the live
//    tables'), and after one event on every changes channel (all of them again). 5 rounds of each, interleaved;
//    the figures are the medians of the rounds' p50 / p90 / p99.
//
// Run alone: `npx tsx test/bench/inspect.bench.ts`, or `BENCH_ONLY=inspect npm run bench`.
import { createSupasync, manualPort, type InspectSnapshot, type Supasync } from '../../packages/core/src/index.js'
import { FakeRealtime, type FakeChannel } from '../../packages/core/test/fakeRealtime.js'
import { createLiveTable, type LiveTable } from '../../packages/polling/src/index.js'
import { FakeServer, manualClock, pgts, run, type ManualClock } from '../../packages/polling/test/fakes.js'
import { createPresence } from '../../packages/presence/src/index.js'
import { createQueue, memoryStorage } from '../../packages/queue/src/index.js'
import { runAlone } from './runAlone.js'
import { exposeGc, round, summarize, type Figure } from './stats.js'

const SUITE = 'inspect'
const LEASES = 10_000
const TABLES = 10
const ROWS = Number(process.env.BENCH_INSPECT_ROWS ?? 100_000)
const BATCH = 1000
const BATCHES = 1000
const ALLOCATION_CALLS = 100_000
const CHANGES = 300
const ROUNDS = 5
const T0 = Date.UTC(2026, 11, 4, 12, 0, 0)
const SCALE = `${LEASES / 1000}k leases, ${TABLES} live tables × ${ROWS / 1000}k rows`


interface World {
  sync: Supasync
  realtime: FakeRealtime
  clock: ManualClock
  tables: LiveTable[]
  /** One postgres_changes callback per changes channel, of a 10k-lease binding on it. */
  deliverers: ((payload: unknown) => void)[]
}

async function build(): Promise<World> {
  const clock = manualClock(T0)
  const realtime = new FakeRealtime()
  const sync = createSupasync(realtime.asClient(), { ports: { timers: clock, network: manualPort(true), visibility: manualPort(true) }, onError: () => undefined })
  // The room first: the changes pool takes every channel it may, and leaves rooms only the ones already held.
  createPresence(sync, 'site:1', { key: 'pm', state: { role: 'pm' } })
  for (let id = 1; id <= LEASES; id++) sync.changes({ table: 'components', filter: `id=eq.${id}` }, () => undefined)
  const tables: LiveTable[] = []
  for (let project = 1; project <= TABLES; project++) {
    const server = new FakeServer(clock)
    const base = (T0 - 3_600_000) * 1000
    server.rows = Array.from({ length: ROWS }, (_, index) => ({ id: project * 1_000_000 + index, project_id: project, tag: `C-${index}`, updated_at: pgts(base + index) }))
    tables.push(createLiveTable(sync, { supabase: server.host, table: 'components', filter: { project_id: project }, pageSize: ROWS, sweepIntervalMs: false, onError: () => undefined }))
  }
  const queue = createQueue({ executor: { execute: async () => undefined }, storage: memoryStorage(), autoFlush: false, sync, namespace: 'bench' })
  for (let write = 0; write < 50; write++) await queue.enqueue({ table: 'components', type: 'update', values: { tag: 'x' }, match: { id: write } })
  await run(clock, 0)
  for (const table of tables) await table.ready
  // Every channel joins and the server confirms postgres_changes; heartbeats are answered until every table is live.
  const join = () => {
    for (const channel of realtime.channels) {
      if (channel.state !== 'joined') {
        channel.joined()
        channel.system({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL' })
      }
    }
  }
  for (let second = 0; second < 60 && !tables.every((table) => table.freshness.get().mode === 'realtime'); second++) {
    join()
    if (realtime.pendingHeartbeatRef !== null) realtime.heartbeatOk(5)
    await run(clock, 1000)
  }
  const modes = new Set(tables.map((table) => table.freshness.get().mode))
  if (modes.size !== 1 || !modes.has('realtime')) throw new Error(`inspect bench: live tables not all in realtime mode: ${[...modes].join(', ')}`)
  // 100 members in the room, as the server's presence state.
  const room = realtime.byTopic('site:1').at(-1)!
  room.presence = Object.fromEntries(Array.from({ length: 100 }, (_, index) => [`member-${index}`, [{ presence_ref: `r${index}`, conn: `c${index}`, state: { role: 'crew' }, away: false, typing: false, at: 1 }]]))
  room.presenceEvent('sync')
  await run(clock, 0)
  const deliverers = realtime.channels
    .filter((channel: FakeChannel) => channel.topic.startsWith('realtime:supasync:'))
    .map((channel) => channel.listeners.find((listener) => listener.type === 'postgres_changes' && String(listener.filter.filter).startsWith('id=eq.'))?.callback as ((payload: unknown) => void) | undefined)
    .filter((callback): callback is (payload: unknown) => void => callback !== undefined)
  return { sync, realtime, clock, tables, deliverers }
}

/** A postgres_changes payload for binding `id=eq.N` (the 10k leases' callbacks do nothing with it). */
const change = (clock: ManualClock) => ({ schema: 'public', table: 'components', commit_timestamp: new Date(clock.now()).toISOString(), eventType: 'UPDATE', new: { id: 1 }, old: {}, errors: null })

/** Time of each call of `inspect` right after `prepare` changed something, in µs. */
function firstAfter(sync: Supasync, prepare: (round: number) => void, rounds: number): number[] {
  const times: number[] = []
  for (let index = 0; index < rounds; index++) {
    const before = sync.inspect()
    prepare(index)
    const started = performance.now()
    const next = sync.inspect()
    const ended = performance.now()
    times.push((ended - started) * 1000)
    if (next === before) throw new Error('inspect bench: the change did not make a new snapshot')
  }
  return times
}

export async function benchInspect(): Promise<Figure[]> {
  const gc = exposeGc()
  const setupStarted = performance.now()
  const world = await build()
  const setupMs = performance.now() - setupStarted
  const { sync, realtime, clock } = world
  const full = sync.inspect()
  const counts = { channels: full.channels.length, leases: full.connection.leases, liveTables: full.liveTables.length, rows: full.liveTables.reduce((sum, table) => sum + table.rows, 0) }
  if (counts.rows !== TABLES * ROWS || counts.liveTables !== TABLES) throw new Error(`inspect bench: unexpected snapshot ${JSON.stringify(counts)}`)

  // 1. Quiet: the same object, every call.
  let same = true
  const perCall: number[] = []
  for (let batch = 0; batch < BATCHES; batch++) {
    const started = performance.now()
    for (let call = 0; call < BATCH; call++) if (sync.inspect() !== full) same = false
    perCall.push(((performance.now() - started) * 1_000_000) / BATCH)
  }
  const quiet = summarize(perCall)

  // Allocation over 100,000 quiet calls, against the same loop around a function returning a constant.
  const constant = () => full as InspectSnapshot
  const growth = (call: () => InspectSnapshot) => {
    const samples: number[] = []
    for (let sample = 0; sample < 5; sample++) {
      gc()
      const before = process.memoryUsage().heapUsed
      let last: InspectSnapshot | undefined
      for (let index = 0; index < ALLOCATION_CALLS; index++) last = call()
      const after = process.memoryUsage().heapUsed
      if (last !== full) throw new Error('inspect bench: a quiet call returned another snapshot')
      samples.push(after - before)
    }
    return summarize(samples).p50
  }
  const baseline = growth(constant)
  const allocated = Math.max(0, growth(() => sync.inspect()) - baseline)

  // 2. The first call after a change: ROUNDS rounds of each kind of change, interleaved; the median of the rounds'
  // percentiles (one round caught by the machine's scheduler moves a p99 by milliseconds on 2 shared cores).
  let target = 0
  const kinds = {
    oneEvent: { rounds: CHANGES, prepare: () => world.deliverers[target++ % world.deliverers.length]!(change(clock)) },
    heartbeat: {
      rounds: CHANGES,
      prepare: () => {
        clock.advance(1)
        void realtime.sendHeartbeat()
        realtime.heartbeatOk(5 + (target++ % 7))
      },
    },
    everything: { rounds: 50, prepare: () => world.deliverers.forEach((deliver) => deliver(change(clock))) },
  }
  const rounds: Record<keyof typeof kinds, ReturnType<typeof summarize>[]> = { oneEvent: [], heartbeat: [], everything: [] }
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of Object.keys(kinds) as (keyof typeof kinds)[]) rounds[kind].push(summarize(firstAfter(sync, kinds[kind].prepare, kinds[kind].rounds)))
  }
  const medianOf = (kind: keyof typeof kinds, key: 'p50' | 'p90' | 'p99') => summarize(rounds[kind].map((summary) => summary[key])).p50
  const oneEvent = { p50: medianOf('oneEvent', 'p50'), p90: medianOf('oneEvent', 'p90'), p99: medianOf('oneEvent', 'p99') }
  const heartbeat = { p50: medianOf('heartbeat', 'p50'), p90: medianOf('heartbeat', 'p90'), p99: medianOf('heartbeat', 'p99') }
  const everything = { p50: medianOf('everything', 'p50'), p90: medianOf('everything', 'p90'), p99: medianOf('everything', 'p99') }
  gc()
  const beforeRebuild = process.memoryUsage().heapUsed
  world.deliverers[0]!(change(clock))
  sync.inspect()
  const rebuildBytes = process.memoryUsage().heapUsed - beforeRebuild

  await sync.destroy()
  const after = sync.inspect()
  const left = after.channels.length + after.liveTables.length + after.queues.length + after.presence.length + sync.diagnostics().inspectRegistrations

  const µs = (value: number) => round(value, 3)
  const hosts = world.deliverers.length
  const bindings = full.channels.reduce((sum, channel) => sum + (channel.kind === 'changes' ? channel.bindings.length : 0), 0)
  return [
    { suite: SUITE, name: `setup: ${SCALE} loaded and live (fake realtime and PostgREST)`, value: round(setupMs / 1000, 1), unit: 's', details: counts },
    { suite: SUITE, name: `inspect(), nothing changed (${SCALE}): per call, p50 over ${BATCHES} batches of ${BATCH}`, value: µs(quiet.p50 / 1000), unit: 'µs', target: '< 1000 (1 ms)', ok: quiet.p50 / 1000 < 1000 },
    { suite: SUITE, name: `inspect(), nothing changed (${SCALE}): per call, p99 over ${BATCHES} batches of ${BATCH}`, value: µs(quiet.p99 / 1000), unit: 'µs', target: '< 1000 (1 ms)', ok: quiet.p99 / 1000 < 1000, details: { nsPerCall: quiet } },
    { suite: SUITE, name: 'inspect(), nothing changed: the same snapshot object on every call', value: same ? 1 : 0, unit: 'ratio', target: '= 1', ok: same },
    { suite: SUITE, name: `inspect(), nothing changed: heap growth per call (${ALLOCATION_CALLS.toLocaleString('en')} calls, no GC, empty loop subtracted)`, value: round(allocated / ALLOCATION_CALLS, 2), unit: 'B', target: '= 0', ok: allocated / ALLOCATION_CALLS < 1, details: { growthBytes: allocated, baselineBytes: baseline } },
    { suite: SUITE, name: `first inspect() after one postgres_changes event on one of ${hosts} changes channels: p50`, value: µs(oneEvent.p50), unit: 'µs' },
    { suite: SUITE, name: `first inspect() after one postgres_changes event on one of ${hosts} changes channels: p90`, value: µs(oneEvent.p90), unit: 'µs' },
    { suite: SUITE, name: `first inspect() after one postgres_changes event on one of ${hosts} changes channels: p99`, value: µs(oneEvent.p99), unit: 'µs', details: { rounds: rounds.oneEvent } },
    { suite: SUITE, name: 'first inspect() after one postgres_changes event: heap growth (that channel entry with its ~100 bindings, the channel list, 10 live-table entries, the snapshot)', value: rebuildBytes, unit: 'B' },
    { suite: SUITE, name: 'first inspect() after a heartbeat reply (connection and live-table entries): p50', value: µs(heartbeat.p50), unit: 'µs' },
    { suite: SUITE, name: 'first inspect() after a heartbeat reply (connection and live-table entries): p99', value: µs(heartbeat.p99), unit: 'µs', details: { rounds: rounds.heartbeat } },
    { suite: SUITE, name: `first inspect() after an event on every changes channel (${hosts} channel entries, ${bindings.toLocaleString('en')} bindings rebuilt): p50`, value: µs(everything.p50), unit: 'µs' },
    { suite: SUITE, name: `first inspect() after an event on every changes channel (${hosts} channel entries, ${bindings.toLocaleString('en')} bindings rebuilt): p99`, value: µs(everything.p99), unit: 'µs', details: { rounds: rounds.everything } },
    { suite: SUITE, name: 'entries left in the snapshot after destroy() (channels, live tables, queues, presence rooms, registrations)', value: left, unit: 'count', target: '= 0', ok: left === 0 },
  ]
}

runAlone(import.meta.url, benchInspect)
