// Benchmarks of @supasync/presence against a local stack, side by side with raw realtime-js in the same run.
//
// The stack's Realtime server runs in the runner (this process); every client of a run lives in one forked
// child of this very file (CHILD_FLAG), so clients and server do not share an event loop. One supabase-js
// client (one socket) per member, as N browser tabs would have. Latencies are measured inside the child:
// sender and receivers share its clock.
//
// 1. Propagation with 100 members in the room: one member changes its state, time until each of the 99
//    others sees it (p50/p95 over all receivers and rounds). Senders rotate, so no member's presence budget
//    delays a round: it is the delivery path that is measured, not the rate limiter.
// 2. 200 members joining at once: time from creating the 200 clients until every one of them lists all 200.
// 3. Leaving (issue #16.5), default timings (graceMs 1000, reconnectGraceMs 10 000): a member calls leave(), time
//    until each watcher shows it offline (p95 over watchers and rounds; one fresh leaver per round). Next to it, a
//    dropped socket (killed without a close frame, never back): time until each watcher shows that member offline,
//    which must still be at least reconnectGraceMs.
//
// "raw" is what an app writes with realtime-js alone: track() after SUBSCRIBED, presenceState() on every sync.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createClient, type RealtimeChannel, type RealtimeClientOptions, type SupabaseClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { createSupasync } from '../../packages/core/src/index.js'
import { startLocalStack } from '../../packages/local/src/index.js'
import { createPresence, type PresenceRoom } from '../../packages/presence/src/index.js'
import { summarize, type Figure } from './stats.js'
import { sendToParent } from './ipc.js'

const CHILD_FLAG = '--supasync-presence-bench-child'
const SELF = fileURLToPath(import.meta.url)

const ROOM_MEMBERS = 100
const ROUNDS = 40
const WARMUP_ROUNDS = 5
const ROUND_TIMEOUT_MS = 3000
const JOINING_MEMBERS = 200
const CONVERGE_TIMEOUT_MS = 60_000
const LEAVE_WATCHERS = 9
const LEAVE_ROUNDS = 20
/** Members whose sockets are dropped at once, each watched by every watcher. */
const DROPPED_MEMBERS = 5
/** The presence default (`reconnectGraceMs`), which the dropped sockets must still wait out. */
const RECONNECT_GRACE_MS = 10_000
/** How long a watcher may take to show a leave before the sample counts as missing. */
const LEAVE_TIMEOUT_MS = 20_000

type Side = 'supasync' | 'raw'
/** Balanced order (ABBA): a drift of the machine over the runs hits both sides alike. */
const PROPAGATION_ORDER: Side[] = ['raw', 'supasync', 'supasync', 'raw']

interface PropagationResult {
  type: 'propagation'
  latencies: number[]
  rounds: number
  incompleteRounds: number
  setupMs: number
  cpuMs: number
  channelsClosed: number
}

interface LeaveResult {
  type: 'leave'
  /** leave() → a watcher shows the leaver offline, per watcher and round, in ms. */
  leaveLatencies: number[]
  /** Socket killed → a watcher shows the member offline, per watcher and dropped member, in ms. */
  dropLatencies: number[]
  leaveExpected: number
  dropExpected: number
  channelsClosed: number
}

interface ConvergenceResult {
  type: 'convergence'
  convergeMs: number
  cpuMs: number
  channelsClosed: number
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits

// ---------------------------------------------------------------------------------------------------------
// Runner side
// ---------------------------------------------------------------------------------------------------------

function runChild<T>(args: string[], timeoutMs: number): Promise<T> {
  const child = fork(SELF, [CHILD_FLAG, ...args], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise<T>((resolve, reject) => {
    let result: T | undefined
    const timer = setTimeout(() => {
      child.kill()
      reject(new Error(`presence bench child ${args[0]} took longer than ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('message', (message: T) => (result = message))
    child.once('exit', (code) => {
      clearTimeout(timer)
      if (result !== undefined) resolve(result)
      else reject(new Error(`presence bench child ${args[0]} exited (${code}) without a result`))
    })
  })
}

export async function benchPresence(): Promise<Figure[]> {
  const stack = await startLocalStack({ realtime: { joinErrorDelayMs: 50, connectErrorDelayMs: 50 } })
  const figures: Figure[] = []
  try {
    const samples: Record<Side, number[]> = { raw: [], supasync: [] }
    const runs: Record<Side, Omit<PropagationResult, 'latencies'>[]> = { raw: [], supasync: [] }
    for (const [index, side] of PROPAGATION_ORDER.entries()) {
      const { latencies, ...rest } = await runChild<PropagationResult>(
        ['propagation', side, stack.url, stack.anonKey, `propagation-${index}`, String(ROOM_MEMBERS), String(ROUNDS)],
        120_000,
      )
      samples[side].push(...latencies)
      runs[side].push(rest)
    }
    const ours = summarize(samples.supasync)
    const raw = summarize(samples.raw)
    const expected = (PROPAGATION_ORDER.length / 2) * ROUNDS * (ROOM_MEMBERS - 1)
    const details = (side: Side) => ({ samples: samples[side].length, expected, runs: runs[side], stats: summarize(samples[side]) })
    figures.push(
      { suite: 'presence', name: `propagation p50, supasync (${ROOM_MEMBERS} members)`, value: round(ours.p50), unit: 'ms', details: details('supasync') },
      { suite: 'presence', name: `propagation p95, supasync (${ROOM_MEMBERS} members)`, value: round(ours.p95), unit: 'ms', target: '≤ 100', ok: ours.p95 <= 100 },
      { suite: 'presence', name: `propagation p50, raw realtime-js (${ROOM_MEMBERS} members)`, value: round(raw.p50), unit: 'ms', details: details('raw') },
      { suite: 'presence', name: `propagation p95, raw realtime-js (${ROOM_MEMBERS} members)`, value: round(raw.p95), unit: 'ms' },
      {
        suite: 'presence',
        name: 'propagation updates seen / expected (supasync)',
        value: round(samples.supasync.length / expected, 4),
        unit: 'ratio',
        target: '= 1',
        ok: samples.supasync.length === expected,
      },
    )

    for (const side of ['raw', 'supasync'] as Side[]) {
      const result = await runChild<ConvergenceResult>(['convergence', side, stack.url, stack.anonKey, `join-${side}`, String(JOINING_MEMBERS)], CONVERGE_TIMEOUT_MS + 30_000)
      figures.push({
        suite: 'presence',
        name: `${JOINING_MEMBERS} members joining at once: all converged, ${side === 'raw' ? 'raw realtime-js' : 'supasync'}`,
        value: Math.round(result.convergeMs),
        unit: 'ms',
        details: { cpuMs: Math.round(result.cpuMs), channelsClosed: result.channelsClosed },
        ...(side === 'supasync' ? { target: 'converges, no channel closed', ok: result.channelsClosed === 0 && result.convergeMs >= 0 } : {}),
      })
    }

    const leave = await runChild<LeaveResult>(
      ['leave', 'supasync', stack.url, stack.anonKey, 'leave', String(LEAVE_WATCHERS), String(LEAVE_ROUNDS)],
      LEAVE_ROUNDS * (LEAVE_TIMEOUT_MS + 5000) + 120_000,
    )
    const left = summarize(leave.leaveLatencies)
    const dropped = summarize(leave.dropLatencies)
    const droppedMin = leave.dropLatencies.reduce((least, value) => Math.min(least, value), Number.POSITIVE_INFINITY)
    figures.push(
      {
        suite: 'presence',
        name: 'presence leave seen at the others p95',
        value: round(left.p95),
        unit: 'ms',
        target: '≤ 2000',
        ok: left.p95 <= 2000 && leave.leaveLatencies.length === leave.leaveExpected,
        details: {
          stats: left,
          samples: leave.leaveLatencies.length,
          expected: leave.leaveExpected,
          watchers: LEAVE_WATCHERS,
          rounds: LEAVE_ROUNDS,
          note: 'from leave() on the leaver; includes the pool grace period (graceMs 1000) before the untrack',
        },
      },
      {
        suite: 'presence',
        name: 'presence dropped socket seen offline at the others, min (grace kept)',
        value: Number.isFinite(droppedMin) ? round(droppedMin) : -1,
        unit: 'ms',
        target: `≥ ${RECONNECT_GRACE_MS} (reconnectGraceMs)`,
        ok: droppedMin >= RECONNECT_GRACE_MS && leave.dropLatencies.length === leave.dropExpected,
        details: { stats: dropped, samples: leave.dropLatencies.length, expected: leave.dropExpected, channelsClosed: leave.channelsClosed },
      },
    )
  } finally {
    await stack.stop()
  }
  return figures
}

// ---------------------------------------------------------------------------------------------------------
// Child side
// ---------------------------------------------------------------------------------------------------------

const report = sendToParent

function clientFor(url: string, key: string, transport: unknown = WebSocket): SupabaseClient {
  return createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: transport as unknown as RealtimeClientOptions['transport'] },
  })
}

/** One member as the bench drives it, whichever side implements it. */
interface Member {
  /** Publishes `{ seq }`. */
  publish(seq: number): void
  /** Keys this member lists now. */
  count(): number
  /** Called with the member list whenever it changes: seq of `key`, or undefined. */
  onChange(listener: (seqOf: (key: string) => number | undefined) => void): void
  closed(): boolean
}

function supasyncMember(url: string, anonKey: string, topic: string, key: string): Member {
  const sync = createSupasync(clientFor(url, anonKey), { onError: () => {} })
  const room: PresenceRoom<{ seq: number }> = createPresence<{ seq: number }>(sync, topic, { key, state: { seq: -1 } })
  return {
    publish: (seq) => room.update({ seq }),
    count: () => room.members.get().length,
    onChange(listener) {
      room.members.subscribe((members) => listener((wanted) => members.find((member) => member.key === wanted)?.state.seq))
    },
    closed: () => sync.metrics().counters.recreated > 0,
  }
}

function rawMember(url: string, anonKey: string, topic: string, key: string): Member {
  const listeners: ((seqOf: (key: string) => number | undefined) => void)[] = []
  let count = 0
  let closed = false
  const channel: RealtimeChannel = clientFor(url, anonKey).channel(topic, { config: { presence: { key } } })
  channel
    .on('presence', { event: 'sync' }, () => {
      const state = channel.presenceState<{ seq: number }>()
      count = Object.keys(state).length
      // realtime-js < 2.119.1 keeps stale entries of a key after updates (supabase/supabase-js#2565): the newest wins.
      const seqOf = (wanted: string) => state[wanted]?.reduce((latest, entry) => Math.max(latest, entry.seq), -1)
      for (const listener of listeners) listener(seqOf)
    })
    .subscribe((status) => {
      if (status === 'SUBSCRIBED') void channel.track({ seq: -1 })
      if (status === 'CLOSED') closed = true
    })
  return {
    publish: (seq) => void channel.track({ seq }),
    count: () => count,
    onChange: (listener) => listeners.push(listener),
    closed: () => closed,
  }
}

async function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  while (!predicate()) {
    if (performance.now() > deadline) return false
    await sleep(10)
  }
  return true
}

async function propagationChild(side: Side, url: string, anonKey: string, topic: string, size: number, rounds: number): Promise<void> {
  const setupStarted = performance.now()
  const make = side === 'supasync' ? supasyncMember : rawMember
  const members = Array.from({ length: size }, (_, index) => make(url, anonKey, topic, `m${index}`))
  if (!(await waitUntil(() => members.every((member) => member.count() === size), 60_000))) throw new Error(`${side}: ${size} members did not converge`)
  const setupMs = performance.now() - setupStarted
  // Past every member's minimum interval after its initial track: the first update of each goes out at once.
  await sleep(1500)

  let current: { sender: string; seq: number; startedAt: number; seen: Set<number>; record: boolean } | undefined
  const latencies: number[] = []
  members.forEach((member, index) =>
    member.onChange((seqOf) => {
      if (!current || current.seen.has(index) || `m${index}` === current.sender) return
      if (seqOf(current.sender) !== current.seq) return
      current.seen.add(index)
      if (current.record) latencies.push(performance.now() - current.startedAt)
    }),
  )
  let incompleteRounds = 0
  const cpuBefore = process.cpuUsage()
  for (let turn = 0; turn < WARMUP_ROUNDS + rounds; turn++) {
    const senderIndex = turn % size
    current = { sender: `m${senderIndex}`, seq: turn, startedAt: performance.now(), seen: new Set(), record: turn >= WARMUP_ROUNDS }
    members[senderIndex]!.publish(turn)
    const round = current
    if (!(await waitUntil(() => round.seen.size === size - 1, ROUND_TIMEOUT_MS))) incompleteRounds++
    await sleep(50)
  }
  const cpu = process.cpuUsage(cpuBefore)
  await report({
    type: 'propagation',
    latencies,
    rounds,
    incompleteRounds,
    setupMs: Math.round(setupMs),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    channelsClosed: members.filter((member) => member.closed()).length,
  } satisfies PropagationResult)
  process.exit(0)
}

async function convergenceChild(side: Side, url: string, anonKey: string, topic: string, size: number): Promise<void> {
  const make = side === 'supasync' ? supasyncMember : rawMember
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  const members = Array.from({ length: size }, (_, index) => make(url, anonKey, topic, `m${index}`))
  const converged = await waitUntil(() => members.every((member) => member.count() === size), CONVERGE_TIMEOUT_MS)
  // -1: not converged within the timeout (IPC messages are JSON: no Infinity).
  const convergeMs = converged ? performance.now() - started : -1
  const cpu = process.cpuUsage(cpuBefore)
  await report({
    type: 'convergence',
    convergeMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    channelsClosed: members.filter((member) => member.closed()).length,
  } satisfies ConvergenceResult)
  process.exit(0)
}

/** A supasync member whose socket can be killed without a close frame (a network loss, a killed tab). */
function droppableMember(url: string, anonKey: string, topic: string, key: string) {
  const sockets: WebSocket[] = []
  class KeptWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args)
      sockets.push(this)
    }
  }
  const sync = createSupasync(clientFor(url, anonKey, KeptWebSocket), { onError: () => {} })
  const room = createPresence(sync, topic, { key })
  return {
    sync,
    room,
    /** Kills the socket, then destroys the instance before realtime-js reconnects: gone for good, nothing announced. */
    async drop(): Promise<void> {
      for (const socket of sockets) if (socket.readyState === WebSocket.OPEN) socket.terminate()
      await sync.destroy()
    },
  }
}

/**
 * Watchers on default timings; per round one fresh leaver joins, is seen by every watcher, and calls leave(). Then
 * DROPPED_MEMBERS members join and lose their sockets at once. Latencies are taken from each watcher's member list.
 */
async function leaveChild(url: string, anonKey: string, topic: string, watcherCount: number, rounds: number): Promise<void> {
  const watchers = Array.from({ length: watcherCount }, (_, index) => {
    const sync = createSupasync(clientFor(url, anonKey), { onError: () => {} })
    return { sync, room: createPresence(sync, topic, { key: `watcher${index}` }) }
  })
  if (!(await waitUntil(() => watchers.every((watcher) => watcher.room.members.get().length === watcherCount), 30_000))) {
    throw new Error('leave: the watchers did not converge')
  }
  const statusAt = (watcher: (typeof watchers)[number], key: string) => watcher.room.members.get().find((member) => member.key === key)?.status
  /** Per watcher, when it first shows each of `keys` offline (or no longer lists it), after `since`. */
  const offlineTimes = (keys: string[], since: number, timeoutMs: number) => {
    const times = new Map<string, number>()
    const check = (index: number) => {
      for (const key of keys) {
        const id = `${index}/${key}`
        if (times.has(id)) continue
        const status = statusAt(watchers[index]!, key)
        if (status === 'offline' || status === undefined) times.set(id, performance.now() - since)
      }
    }
    const offs = watchers.map((watcher, index) => watcher.room.members.subscribe(() => check(index)))
    watchers.forEach((_, index) => check(index))
    return waitUntil(() => times.size === keys.length * watchers.length, timeoutMs).then(() => {
      for (const off of offs) off()
      return [...times.values()]
    })
  }
  const seenOnline = (keys: string[]) => waitUntil(() => watchers.every((watcher) => keys.every((key) => statusAt(watcher, key) === 'online')), 15_000)

  const leaveLatencies: number[] = []
  for (let turn = 0; turn < rounds; turn++) {
    const key = `leaver${turn}`
    const sync = createSupasync(clientFor(url, anonKey), { onError: () => {} })
    const room = createPresence(sync, topic, { key })
    if (!(await seenOnline([key]))) throw new Error(`leave: round ${turn}: the leaver was not seen online`)
    const started = performance.now()
    const measured = offlineTimes([key], started, LEAVE_TIMEOUT_MS)
    room.leave()
    leaveLatencies.push(...(await measured))
    await sync.destroy()
  }

  const members = Array.from({ length: DROPPED_MEMBERS }, (_, index) => droppableMember(url, anonKey, topic, `dropped${index}`))
  const keys = members.map((_, index) => `dropped${index}`)
  if (!(await seenOnline(keys))) throw new Error('leave: the members to drop were not seen online')
  const started = performance.now()
  const measured = offlineTimes(keys, started, RECONNECT_GRACE_MS + LEAVE_TIMEOUT_MS)
  await Promise.all(members.map((member) => member.drop()))
  const dropLatencies = await measured

  await report({
    type: 'leave',
    leaveLatencies,
    dropLatencies,
    leaveExpected: rounds * watcherCount,
    dropExpected: DROPPED_MEMBERS * watcherCount,
    channelsClosed: watchers.filter((watcher) => watcher.sync.metrics().counters.recreated > 0).length,
  } satisfies LeaveResult)
  process.exit(0)
}

async function childMain(args: string[]): Promise<void> {
  const [role, side, url, anonKey, topic, size, rounds] = args as [string, Side, string, string, string, string, string | undefined]
  if (role === 'propagation') await propagationChild(side, url, anonKey, topic, Number(size), Number(rounds))
  else if (role === 'convergence') await convergenceChild(side, url, anonKey, topic, Number(size))
  else if (role === 'leave') await leaveChild(url, anonKey, topic, Number(size), Number(rounds))
  else throw new Error(`unknown presence bench child role "${role}"`)
}

if (process.argv[2] === CHILD_FLAG) {
  childMain(process.argv.slice(3)).catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
