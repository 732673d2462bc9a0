import { fork } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { startLocalStack } from '../../packages/local/src/index.js'
import type { FanOutPath } from './fanoutClients.js'
import { summarize, type Figure } from './stats.js'

/** The private topic every socket joins on the database broadcast path (fanoutClients.ts uses the same name). */
const BROADCAST_TOPIC = 'bench'

/**
 * The bench table. `sent_at` is the wall clock at insert (clock_timestamp(), ms since epoch): the one basis of the
 * latency figures on both paths, since a database broadcast carries the row but no commit_timestamp. It is taken
 * inside the writing transaction, so the latency includes the rest of the statement (the broadcast trigger) and
 * the commit.
 */
const BENCH_TABLE = `
create table public.bench_events (
  id bigint generated always as identity primary key,
  body text not null,
  sent_at bigint not null default floor(extract(epoch from clock_timestamp()) * 1000)::bigint
);
`
/** postgres_changes: the table is published; no RLS on it, so no per-change visibility query. */
const BENCH_SCHEMA = `${BENCH_TABLE}
alter publication supabase_realtime add table public.bench_events;
`
/**
 * Broadcast from Database, in the shape of a hosted app's migration (see packages/local/test/fixtures/hostedApp.ts):
 * members of a topic may receive its broadcasts (an RLS select policy on realtime.messages, run once per join), and
 * a security-definer row trigger sends every insert with realtime.broadcast_changes to the private topic `bench`.
 * The table is not in supabase_realtime, so its rows reach the server only as realtime.messages inserts.
 */
const broadcastSchema = (members: readonly string[]) => `${BENCH_TABLE}
create table public.bench_topic_members (user_id uuid not null, topic text not null, primary key (user_id, topic));
alter table public.bench_topic_members enable row level security;
create policy "members see their memberships" on public.bench_topic_members for select to authenticated
  using (user_id = (select auth.uid()));
insert into public.bench_topic_members (user_id, topic) values ${members.map((member) => `('${member}', '${BROADCAST_TOPIC}')`).join(', ')};

create policy "members receive topic broadcasts" on realtime.messages for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and exists (select 1 from public.bench_topic_members m where m.user_id = (select auth.uid()) and m.topic = (select realtime.topic()))
  );

create or replace function public.bench_events_broadcast() returns trigger
security definer
set search_path = ''
language plpgsql
as $$
begin
  perform realtime.broadcast_changes('${BROADCAST_TOPIC}', tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
  return null;
end;
$$;
create trigger bench_events_broadcast after insert on public.bench_events
  for each row execute function public.bench_events_broadcast();
`

/** Stack start time: from the call to a usable URL (Postgres initdb + start, PostgREST, Realtime). */
async function startTime(runs: number): Promise<Figure> {
  const times: number[] = []
  for (let run = 0; run < runs; run++) {
    const started = performance.now()
    const stack = await startLocalStack({ sql: [BENCH_SCHEMA] })
    times.push(performance.now() - started)
    await stack.stop()
  }
  const stats = summarize(times)
  return { suite: 'local', name: 'stack start (median)', value: Math.round(stats.p50), unit: 'ms', target: '≤ 5000', ok: stats.p50 <= 5000, details: { runs: times.map(Math.round) } }
}

type ClientKind = 'raw' | 'realtime-js'

/** One fan-out run's raw measurements. */
interface FanOutRun {
  latencies: number[]
  commitLatencies: number[]
  delivered: number
  expected: number
  /** From the first insert to the last delivery, ms (wall clock of both processes). */
  spanMs: number
  achievedRate: number
  clientCpuMs: number
  serverAndWriterCpuMs: number
  postgresCpuMs: number | undefined
}

/**
 * CPU time of one Postgres instance so far, in ms: the postmaster, its live children, and (through the
 * postmaster's cutime/cstime) the children it has reaped. Linux /proc only; undefined elsewhere.
 */
async function postgresCpuMs(dataDirectory: string | undefined): Promise<number | undefined> {
  if (dataDirectory === undefined) return undefined
  try {
    const postmaster = Number((await readFile(join(dataDirectory, 'postmaster.pid'), 'utf8')).split('\n')[0])
    const ticksPerMs = 100 / 1000 // USER_HZ is 100 on Linux
    // Fields after the ")" that ends the command name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
    const fields = (stat: string) => stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const own = fields(await readFile(`/proc/${postmaster}/stat`, 'utf8'))
    let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === postmaster) continue
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
      const child = stat === '' ? undefined : fields(stat)
      if (child && Number(child[1]) === postmaster) ticks += Number(child[11]) + Number(child[12])
    }
    return Math.round(ticks / ticksPerMs)
  } catch {
    return undefined
  }
}

/**
 * One fan-out run of one delivery path: `rate` single-row transactions per second for `seconds`, each fanned out
 * to `sockets` clients (one socket each) running in a separate process: minimal Phoenix clients for the stack's
 * own figure (the target), realtime-js clients for what an app sees. Each run gets a fresh stack.
 * - 'postgres_changes': each socket has its own channel with an INSERT binding on bench_events (anon).
 * - 'database broadcast': every socket joins the private topic `bench` as its own authenticated user (authorized
 *   by the RLS policy at join); a trigger calling realtime.broadcast_changes turns each insert into one
 *   realtime.messages row, streamed to the topic.
 * Latency = receive time − the row's `sent_at` (ms, the same machine clock, see BENCH_TABLE); postgres_changes
 * deliveries are also measured from commit_timestamp.
 */
async function fanOutRun(path: FanOutPath, rate: number, seconds: number, sockets: number, clientKind: ClientKind): Promise<FanOutRun> {
  const members = Array.from({ length: sockets }, () => randomUUID())
  const stack = await startLocalStack({ sql: [path === 'postgres_changes' ? BENCH_SCHEMA : broadcastSchema(members)] })
  const tokens = path === 'postgres_changes' ? [] : members.map((sub) => stack.signJwt({ sub, role: 'authenticated' }))
  const child = fork(
    fileURLToPath(new URL('./fanoutClients.ts', import.meta.url)),
    [stack.url, stack.anonKey, String(sockets), clientKind, path, JSON.stringify(tokens)],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  )
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve())
      child.once('exit', (code) => reject(new Error(`client process exited early (${code})`)))
    })
    const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 8 })
    const total = rate * seconds
    const postgresCpuAtStart = await postgresCpuMs(stack.dataDirectory)
    const cpuAtStart = process.cpuUsage()
    const firstInsertAt = Date.now()
    const started = performance.now()
    const inflight: Promise<unknown>[] = []
    for (let sent = 0; sent < total; sent++) {
      // Pace the writer against wall time so bursts do not flatter the figures.
      const due = started + (sent * 1000) / rate
      const wait = due - performance.now()
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
      inflight.push(pool.query('insert into bench_events (body) values ($1)', [`e${sent}`]))
    }
    await Promise.all(inflight)
    const writeSeconds = (performance.now() - started) / 1000
    await pool.end()
    const expected = total * sockets
    type Result = { type: string; latencies: number[]; commitLatencies: number[]; lastDeliveryAt: number; clientCpuMs: number }
    const result = new Promise<Result>((resolve, reject) => {
      child.on('message', (message: Result) => message.type === 'result' && resolve(message))
      child.once('exit', (code) => reject(new Error(`client process exited before reporting (${code})`)))
    })
    child.send({ type: 'finish', expected, timeoutMs: 30_000 })
    const { latencies, commitLatencies, lastDeliveryAt, clientCpuMs } = await result
    // This process runs the stack's Realtime server (and the gateway) and the writer; Postgres is apart.
    const serverCpu = process.cpuUsage(cpuAtStart)
    const postgresCpuAtEnd = await postgresCpuMs(stack.dataDirectory)
    return {
      latencies,
      commitLatencies,
      delivered: latencies.length,
      expected,
      spanMs: latencies.length === 0 ? Number.NaN : lastDeliveryAt - firstInsertAt,
      achievedRate: Math.round(total / writeSeconds),
      clientCpuMs,
      serverAndWriterCpuMs: Math.round((serverCpu.user + serverCpu.system) / 1000),
      postgresCpuMs: postgresCpuAtStart === undefined || postgresCpuAtEnd === undefined ? undefined : postgresCpuAtEnd - postgresCpuAtStart,
    }
  } finally {
    child.kill()
    await stack.stop()
  }
}

/**
 * The figures of one path and client kind, pooled over its runs: commit→delivery p50/p99 (from `sent_at` on both
 * paths), deliveries received / expected, and throughput = deliveries received ÷ (last delivery − first insert),
 * summed over the runs; throughput is bounded by the offered load (rate × sockets) and falls below it when the
 * server lags or loses deliveries.
 */
function fanOutFigures(path: FanOutPath, rate: number, seconds: number, sockets: number, clientKind: ClientKind, runs: FanOutRun[]): Figure[] {
  const latencies = runs.flatMap((run) => run.latencies)
  const commitLatencies = runs.flatMap((run) => run.commitLatencies)
  const stats = summarize(latencies)
  const delivered = latencies.length
  const expected = runs.reduce((sum, run) => sum + run.expected, 0)
  const spanMs = runs.reduce((sum, run) => sum + (run.delivered === 0 ? 0 : run.spanMs), 0)
  const throughput = delivered === 0 ? 0 : Math.round(delivered / (spanMs / 1000))
  const details = {
    path,
    rate,
    seconds,
    sockets,
    clientKind,
    latencyBasis: 'sent_at (clock_timestamp() at insert, inside the writing transaction)',
    rounds: runs.length,
    delivered,
    expected,
    offeredDeliveriesPerSecond: rate * sockets,
    ...stats,
    ...(commitLatencies.length === 0 ? {} : { fromCommitTimestamp: (({ p50, p99, max }) => ({ p50, p99, max }))(summarize(commitLatencies)) }),
    perRun: runs.map((run) => {
      const { p50, p99, max } = summarize(run.latencies)
      const { latencies: _latencies, commitLatencies: _commit, ...rest } = run
      return { p50, p99, max, ...rest, throughput: run.delivered === 0 ? 0 : Math.round(run.delivered / (run.spanMs / 1000)) }
    }),
  }
  const label = path === 'postgres_changes' ? `${rate}/s × ${sockets} ${clientKind} sockets` : `${rate}/s × ${sockets} ${clientKind} sockets, private topic`
  // Issue #2's targets apply to the stack's own (raw) postgres_changes figure; issue #15 asks for figures only.
  const targeted = path === 'postgres_changes' && clientKind === 'raw'
  return [
    { suite: 'local', name: `${path} commit→delivery p50 (${label})`, value: stats.p50, unit: 'ms', target: targeted ? '≤ 20' : undefined, ok: targeted ? stats.p50 <= 20 : undefined, details },
    { suite: 'local', name: `${path} commit→delivery p99 (${label})`, value: stats.p99, unit: 'ms', target: targeted ? '≤ 100' : undefined, ok: targeted ? stats.p99 <= 100 : undefined },
    { suite: 'local', name: `${path} deliveries received / expected (${clientKind})`, value: delivered / expected, unit: 'ratio', target: '= 1', ok: delivered === expected },
    { suite: 'local', name: `${path} throughput (${label})`, value: throughput, unit: 'deliveries/s' },
  ]
}

/** Runs of each (client kind, path), two rounds interleaved so that drift on the shared 2-core machine hits both paths alike. */
const FANOUT = { rate: 1000, seconds: 5, sockets: 50, rounds: 2 }

export async function benchLocalStack(): Promise<Figure[]> {
  const { rate, seconds, sockets, rounds } = FANOUT
  const figures = [await startTime(3)]
  const paths = ['postgres_changes', 'database broadcast'] as const
  const clientKinds = ['raw', 'realtime-js'] as const
  const runs = new Map<string, FanOutRun[]>()
  for (let round = 0; round < rounds; round++) {
    for (const clientKind of clientKinds) {
      for (const path of paths) {
        const key = `${clientKind}\u0000${path}`
        runs.set(key, [...(runs.get(key) ?? []), await fanOutRun(path, rate, seconds, sockets, clientKind)])
      }
    }
  }
  for (const clientKind of clientKinds) {
    for (const path of paths) figures.push(...fanOutFigures(path, rate, seconds, sockets, clientKind, runs.get(`${clientKind}\u0000${path}`)!))
  }
  return figures
}
