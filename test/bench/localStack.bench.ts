import { RealtimeClient } from '@supabase/supabase-js'
import pg from 'pg'
import WebSocket from 'ws'
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
 * `sockets` raw realtime-js clients (one socket each). Latency = receive time − commit_timestamp (ms precision).
 */
async function fanOutLatency(rate: number, seconds: number, sockets: number): Promise<Figure[]> {
  const stack = await startLocalStack({ sql: [BENCH_SCHEMA] })
  const clients: RealtimeClient[] = []
  const latencies: number[] = []
  let received = 0
  try {
    const subscribed: Promise<void>[] = []
    for (let index = 0; index < sockets; index++) {
      const client = new RealtimeClient(`${stack.url.replace('http', 'ws')}/realtime/v1`, { params: { apikey: stack.anonKey }, transport: WebSocket as never })
      clients.push(client)
      subscribed.push(
        new Promise<void>((resolve) => {
          client
            .channel(`bench-${index}`)
            .on('postgres_changes' as never, { event: 'INSERT', schema: 'public', table: 'bench_events' } as never, (change: { commit_timestamp: string }) => {
              latencies.push(Date.now() - Date.parse(change.commit_timestamp))
              received++
            })
            .on('system' as never, {} as never, () => resolve())
            .subscribe()
        }),
      )
    }
    await Promise.all(subscribed)
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
    const expected = total * sockets
    const deadline = Date.now() + 30_000
    while (received < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    await pool.end()
    const stats = summarize(latencies)
    const details = { rate, seconds, sockets, achievedRate: Math.round(total / writeSeconds), delivered: received, expected, ...stats }
    return [
      { suite: 'local', name: `commit→delivery p50 (${rate}/s × ${sockets} sockets)`, value: stats.p50, unit: 'ms', target: '≤ 20', ok: stats.p50 <= 20, details },
      { suite: 'local', name: `commit→delivery p99 (${rate}/s × ${sockets} sockets)`, value: stats.p99, unit: 'ms', target: '≤ 100', ok: stats.p99 <= 100 },
      { suite: 'local', name: 'deliveries received / expected', value: received / expected, unit: 'ratio', target: '= 1', ok: received === expected },
    ]
  } finally {
    for (const client of clients) {
      await client.removeAllChannels()
      client.disconnect()
    }
    await stack.stop()
  }
}

export async function benchLocalStack(): Promise<Figure[]> {
  return [await startTime(3), ...(await fanOutLatency(1000, 5, 50))]
}
