// Benchmarks of @supasync/queue against a local stack (real PostgREST + Postgres).
// 1. Bulk update of 50 components through the queue (durable file storage): wall time from the first enqueue to the rows committed
//    (checked in Postgres), and the number of PostgREST requests it took.
// 2. Enqueue throughput (enqueue resolves once the write is stored) with memory and file storage.
import { mkdtemp, rm } from 'node:fs/promises'
import { runAlone } from './runAlone.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createQueue, memoryStorage, supabaseExecutor, type QueueExecutor, type QueueStorage } from '../../packages/queue/src/index.js'
import { fileStorage } from '../../packages/queue/src/node.js'
import { startLocalStack } from '../../packages/local/src/index.js'
import { summarize, type Figure } from './stats.js'

const SCHEMA = `create table public.components (id uuid primary key, project_id int not null default 0, milestone text not null default 'not_started');`
const RUNS = 7
const ENQUEUES = 2000
const SUITE = 'queue'

const median = (values: number[]) => summarize(values).p50
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits

export async function benchQueue(): Promise<Figure[]> {
  const figures: Figure[] = []
  const stack = await startLocalStack({ sql: [SCHEMA] })
  const bulkDir = await mkdtemp(join(tmpdir(), 'supasync-queue-bulk-'))
  try {
    let requestCount = 0
    const counting: typeof fetch = (input, init) => {
      requestCount++
      return fetch(input, init)
    }
    const supabase = stack.createClient({ key: stack.serviceRoleKey, global: { fetch: counting } })
    const walls: number[] = []
    const requests: number[] = []
    for (let run = 0; run < RUNS + 1; run++) {
      await stack.query('truncate components')
      const ids = (await stack.query<{ id: string }>('insert into components (id) select gen_random_uuid() from generate_series(1, 50) returning id')).rows.map((row) => row.id)
      // Durable file storage (fsync), as a Node app would use; the queue's default batchDelayMs (10 ms) applies.
      const queue = createQueue({ executor: supabaseExecutor(supabase), storage: fileStorage({ path: bulkDir }), namespace: `run${run}` })
      await queue.ready
      const milestone = `welded-${run}`
      requestCount = 0
      const started = performance.now()
      await Promise.all(ids.map((id) => queue.enqueue({ table: 'components', type: 'update', values: { milestone }, match: { id } })))
      await queue.flush() // resolves once the queue is idle: every write confirmed by PostgREST
      const wall = performance.now() - started
      const committed = Number((await stack.query<{ n: string }>(`select count(*) as n from components where milestone = $1`, [milestone])).rows[0]!.n)
      queue.destroy()
      if (committed !== 50) throw new Error(`bench: only ${committed} of 50 updates committed`)
      if (run === 0) continue // warm-up (connection, PostgREST schema cache)
      walls.push(wall)
      requests.push(requestCount)
    }
    const wall = summarize(walls)
    figures.push({ suite: SUITE, name: 'bulk update of 50 components: enqueue → committed (median)', value: round(wall.p50), unit: 'ms', target: '≤ 300', ok: wall.p50 <= 300, details: { runs: RUNS, ...wall } })
    const maxRequests = Math.max(...requests)
    figures.push({ suite: SUITE, name: 'bulk update of 50 components: PostgREST requests', value: maxRequests, unit: 'requests', target: '1', ok: maxRequests === 1, details: { perRun: requests } })
  } finally {
    await stack.stop()
    await rm(bulkDir, { recursive: true, force: true })
  }

  // Enqueue throughput: nothing is sent (autoFlush off), so this is validation + storage.
  const noop: QueueExecutor = { execute: async () => undefined }
  const dir = await mkdtemp(join(tmpdir(), 'supasync-queue-bench-'))
  try {
    const storages: [string, () => QueueStorage][] = [
      ['memory', () => memoryStorage()],
      ['file (fsync)', () => fileStorage({ path: join(dir, 'fsync') })],
      ['file (no fsync)', () => fileStorage({ path: join(dir, 'nofsync'), fsync: false })],
    ]
    for (const [label, make] of storages) {
      const rates: number[] = []
      for (let run = 0; run < 3; run++) {
        const queue = createQueue({ executor: noop, storage: make(), namespace: `run${run}`, maxSize: ENQUEUES, autoFlush: false })
        await queue.ready
        const started = performance.now()
        // Sequential awaits: each enqueue resolves only once its write is stored (the latency a UI sees).
        for (let index = 0; index < ENQUEUES; index++) await queue.enqueue({ table: 'components', type: 'upsert', rows: [{ milestone: 'welded' }] })
        rates.push(ENQUEUES / ((performance.now() - started) / 1000))
        await queue.clear()
        queue.destroy()
      }
      figures.push({ suite: SUITE, name: `enqueue throughput, ${label} storage (sequential, stored before resolve)`, value: Math.round(median(rates)), unit: 'ops/s', details: { enqueues: ENQUEUES, runs: rates.map((rate) => Math.round(rate)) } })
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  return figures
}

// Run alone: npx tsx test/bench/queue.bench.ts
runAlone(import.meta.url, benchQueue)
