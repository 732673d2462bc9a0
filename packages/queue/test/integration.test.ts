import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startLocalStack, type LocalStack } from '@supasync/local'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { createQueue, memoryStorage, supabaseExecutor, type QueueOptions } from '../src/index.js'
import { runTsChild } from '../../local/test/helpers.js'
import { waitFor } from './helpers.js'

const SCHEMA = `
create table public.components (id uuid primary key, project_id int not null default 0, milestone text not null default 'not_started', status text not null default 'open');
create table public.log (seq bigint generated always as identity primary key, id uuid not null unique, body text not null default '');
create table public.strict (id uuid primary key, n int not null check (n >= 0));
create table public.nokey (id uuid, v int);
create table public.coded (code text primary key, v int);
`
const childScript = fileURLToPath(new URL('./fixtures/queueChild.ts', import.meta.url))

let stack: LocalStack

beforeAll(async () => {
  stack = await startLocalStack({ sql: [SCHEMA] })
})
afterAll(async () => {
  await stack?.stop()
})

/** A service-role client whose REST requests are counted (method + path). */
function countedClient() {
  const requests: string[] = []
  const counting: typeof fetch = (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    requests.push(`${init?.method ?? 'GET'} ${url.pathname}`)
    return fetch(input, init)
  }
  return { supabase: stack.createClient({ key: stack.serviceRoleKey, global: { fetch: counting } }), requests }
}

function queueFor(options: Partial<QueueOptions> = {}) {
  const { supabase, requests } = countedClient()
  const queue = createQueue({ executor: supabaseExecutor(supabase), storage: memoryStorage(), retry: { retries: 3, minTimeoutMs: 20, maxTimeoutMs: 200 }, ...options })
  onTestFinished(() => queue.destroy())
  return { queue, requests }
}

const count = async (sql: string) => Number((await stack.query<{ n: string }>(sql)).rows[0]!.n)

describe('queue against real PostgREST + Postgres', () => {
  it('50 writes while PostgREST is down all land exactly once after recovery', async () => {
    await stack.query('truncate log')
    const { queue } = queueFor({ retry: { retries: 1, minTimeoutMs: 10, maxTimeoutMs: 20 }, retryIntervalMs: 60_000 })
    stack.faults.stopRest()
    try {
      for (let index = 0; index < 50; index++) await queue.enqueue({ table: 'log', type: 'insert', rows: [{ body: `w${index}` }] })
      await waitFor(() => !queue.status.get().flushing && queue.status.get().lastError?.code === 'UNREACHABLE', 10_000, 'the failed attempts')
      expect(queue.status.get()).toMatchObject({ pending: 50, failed: 0, lastError: { status: 0 } })
    } finally {
      stack.faults.startRest()
    }
    expect(await queue.flush()).toEqual({ sent: 50, failed: 0, pending: 0 })
    expect(await count('select count(*) as n from log')).toBe(50)
    expect(await count('select count(distinct body) as n from log')).toBe(50)
    expect(queue.status.get()).toMatchObject({ pending: 0, failed: 0, lastError: null })
  })

  it('a response lost after the write committed is retried without a duplicate', async () => {
    await stack.query('truncate log')
    const { queue, requests } = queueFor({ autoFlush: false })
    const { operation } = await queue.enqueue({ table: 'log', type: 'insert', rows: [{ body: 'once' }] })
    await queue.enqueue({ table: 'components', type: 'update', values: { status: 'done' }, match: { id: '00000000-0000-4000-8000-000000000000' } })
    stack.faults.loseRestResponses(2)
    expect(await queue.flush()).toEqual({ sent: 2, failed: 0, pending: 0 })
    expect(requests.length).toBeGreaterThanOrEqual(4) // both were sent twice
    expect(await count('select count(*) as n from log')).toBe(1)
    const id = (operation as unknown as { rows: { id: string }[] }).rows[0]!.id
    expect(await count(`select count(*) as n from log where id = '${id}'`)).toBe(1)
  })

  it('a 4xx goes to the dead letters with the PostgREST error text, and the rest continue', async () => {
    await stack.query('truncate strict')
    const { queue } = queueFor({ autoFlush: false })
    await queue.enqueue({ table: 'strict', type: 'upsert', rows: [{ n: 1 }] })
    await queue.enqueue({ table: 'strict', type: 'upsert', rows: [{ n: -1 }] })
    await queue.enqueue({ table: 'strict', type: 'upsert', rows: [{ n: 3 }] })
    await queue.enqueue({ table: 'missing_table', type: 'delete', match: { id: 1 } })
    expect(await queue.flush()).toEqual({ sent: 2, failed: 2, pending: 0 })
    expect(await count('select count(*) as n from strict')).toBe(2)
    const reasons = queue.failed.get().map((letter) => letter.reason)
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'REJECTED', status: 400, pgCode: '23514', message: expect.stringMatching(/violates check constraint/) }),
        expect.objectContaining({ code: 'REJECTED', status: 404, message: expect.stringMatching(/missing_table/) }),
      ]),
    )
  })

  it('a write refused for a key problem is a dead letter whose message names idColumn / the column and the fix', async () => {
    const { queue } = queueFor({ autoFlush: false })
    await queue.enqueue({ table: 'nokey', type: 'upsert', rows: [{ v: 1 }] }) // no primary key on id
    await queue.enqueue({ table: 'coded', type: 'upsert', rows: [{ code: 'a', v: 1 }] }) // no id column: the key is code
    await queue.enqueue({ table: 'coded', type: 'update', values: { v: 2 }, match: { id: 'a' } })
    expect(await queue.flush()).toEqual({ sent: 0, failed: 3, pending: 0 })
    const messages = queue.failed.get().map((letter) => `${letter.description} => ${letter.reason.pgCode}: ${letter.reason.message}`)
    expect(messages).toEqual([
      expect.stringMatching(/^upsert nokey.*Fix: .*table nokey needs a primary key or unique constraint on "id".*createQueue\(\{ idColumn \}\)/),
      expect.stringMatching(/^upsert coded.*Fix: table coded has no column "id".*createQueue\(\{ idColumn \}\)/),
      expect.stringMatching(/^update coded.*Fix: match\.id names a column table coded does not have.*idColumn/),
    ])
  })

  it('503 and 429 are retried with backoff, honouring Retry-After', async () => {
    await stack.query('truncate log')
    const { queue, requests } = queueFor({ autoFlush: false })
    await queue.enqueue({ table: 'log', type: 'insert', rows: [{ body: 'a' }] })
    stack.faults.failRest({ status: 503, count: 2 })
    expect(await queue.flush()).toMatchObject({ sent: 1, failed: 0 })
    expect(requests).toHaveLength(3)
    await queue.enqueue({ table: 'log', type: 'insert', rows: [{ body: 'b' }] })
    stack.faults.failRest({ status: 429, count: 1, retryAfterSeconds: 1 })
    const started = Date.now()
    expect(await queue.flush()).toMatchObject({ sent: 1, failed: 0 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
    expect(requests).toHaveLength(5)
    expect(await count('select count(*) as n from log')).toBe(2)
  })

  it('a bulk update of 50 components is one PostgREST request', async () => {
    await stack.query('truncate components')
    const ids = (await stack.query<{ id: string }>('insert into components (id) select gen_random_uuid() from generate_series(1, 50) returning id')).rows.map((row) => row.id)
    const { queue, requests } = queueFor({ autoFlush: false })
    for (const id of ids) await queue.enqueue({ table: 'components', type: 'update', values: { milestone: 'welded' }, match: { id } })
    await queue.flush()
    expect(requests).toEqual(['PATCH /rest/v1/components'])
    expect(await count(`select count(*) as n from components where milestone = 'welded'`)).toBe(50)
  })

  it('a Node process killed mid-flush resumes from its file queue with no loss and no duplicate', async () => {
    await stack.query('truncate log')
    const dir = await mkdtemp(join(tmpdir(), 'supasync-queue-'))
    onTestFinished(() => rm(dir, { recursive: true, force: true }))
    const run = (mode: string) => {
      const started = runTsChild(childScript, [mode, dir], { STACK_URL: stack.url, STACK_KEY: stack.serviceRoleKey })
      onTestFinished(() => void started.child.kill('SIGKILL'))
      return started
    }
    const first = run('enqueue')
    await waitFor(() => first.lines.includes('stored') || first.child.exitCode !== null, 20_000, 'the child to store 50 writes')
    expect(first.lines, first.stderr()).toContain('stored')
    // Kill it once some (not all) writes landed.
    let landed = 0
    const deadline = Date.now() + 15_000
    while (landed < 5 && Date.now() < deadline) landed = await count('select count(*) as n from log')
    first.child.kill('SIGKILL')
    await first.exit
    landed = await count('select count(*) as n from log')
    expect(landed).toBeGreaterThan(0)
    expect(landed).toBeLessThan(50)
    // A temp file of a write cut short by a kill must not confuse the restart.
    const namespaceDir = join(dir, `ns-${Buffer.from('foreman').toString('hex')}`)
    await writeFile(join(namespaceDir, '.cut-short.tmp'), '{"v":1,"su')
    const second = run('resume')
    expect(await second.exit, second.stderr()).toBe(0)
    const report = JSON.parse(second.lines.at(-1)!) as { result: { sent: number; pending: number; failed: number }; failed: number }
    expect(report.result).toMatchObject({ pending: 0, failed: 0 })
    expect(report.failed).toBe(0)
    expect(report.result.sent).toBeGreaterThanOrEqual(50 - landed)
    expect(await count('select count(*) as n from log')).toBe(50)
    expect(await count('select count(distinct body) as n from log')).toBe(50)
    expect(await readdir(namespaceDir)).toEqual([])
  })
})
