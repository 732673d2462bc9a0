import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { startLocalStack } from '../../packages/local/src/index.js'
import { summarize, type Figure } from './stats.js'

const BENCH_SCHEMA = `
create table public.bench_events (id bigint generated always as identity primary key, body text not null);
alter publication supabase_realtime add table public.bench_events;
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

/**
 * Commit-to-delivery latency: `rate` single-row transactions per second for `seconds`, each fanned out to
 * `sockets` clients (one socket each) running in a separate process: minimal Phoenix clients for the stack's
 * own figure (the target), realtime-js clients for what an app sees.
 * Latency = receive time − commit_timestamp (ms precision, same machine clock).
 */
async function fanOutLatency(rate: number, seconds: number, sockets: number, clientKind: 'raw' | 'realtime-js'): Promise<Figure[]> {
  const stack = await startLocalStack({ sql: [BENCH_SCHEMA] })
  const child = fork(fileURLToPath(new URL('./fanoutClients.ts', import.meta.url)), [stack.url, stack.anonKey, String(sockets), clientKind], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve())
      child.once('exit', (code) => reject(new Error(`client process exited early (${code})`)))
    })
    const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 8 })
    const total = rate * seconds
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
    const result = new Promise<{ latencies: number[] }>((resolve, reject) => {
      child.on('message', (message: { type: string; latencies: number[] }) => message.type === 'result' && resolve(message))
      child.once('exit', (code) => reject(new Error(`client process exited before reporting (${code})`)))
    })
    child.send({ type: 'finish', expected, timeoutMs: 30_000 })
    const { latencies } = await result
    const stats = summarize(latencies)
    const details = { rate, seconds, sockets, clientKind, achievedRate: Math.round(total / writeSeconds), delivered: latencies.length, expected, ...stats }
    const label = `${rate}/s × ${sockets} ${clientKind} sockets`
    const targeted = clientKind === 'raw'
    return [
      { suite: 'local', name: `commit→delivery p50 (${label})`, value: stats.p50, unit: 'ms', target: targeted ? '≤ 20' : undefined, ok: targeted ? stats.p50 <= 20 : undefined, details },
      { suite: 'local', name: `commit→delivery p99 (${label})`, value: stats.p99, unit: 'ms', target: targeted ? '≤ 100' : undefined, ok: targeted ? stats.p99 <= 100 : undefined },
      { suite: 'local', name: `deliveries received / expected (${clientKind})`, value: latencies.length / expected, unit: 'ratio', target: '= 1', ok: latencies.length === expected },
    ]
  } finally {
    child.kill()
    await stack.stop()
  }
}

export async function benchLocalStack(): Promise<Figure[]> {
  return [await startTime(3), ...(await fanOutLatency(1000, 5, 50, 'raw')), ...(await fanOutLatency(1000, 5, 50, 'realtime-js'))]
}
