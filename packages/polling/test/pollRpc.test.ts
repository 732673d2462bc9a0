/**
 * One request per poll (issue #16): public.supasync_poll() gives a poll exactly what the three requests it replaces
 * give (rows, versions, tombstones, window), page boundaries and RLS included; a live table in realtime mode verifies
 * with one request; where the function is missing or refuses the table, polls take the three requests again.
 * Real Postgres and PostgREST (the local stack), the unmodified supabase-js.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalStack, type LocalStack } from '@supasync/local'
import { createSupasync, type SupasyncError } from '@supasync/core'
import { createLiveTable } from '../src/index.js'
import type { ReadTarget } from '../src/RestReader.js'
import type { LiveFilter } from '../src/rowFilter.js'
import { formatMicros, parseVersion } from '../src/versions.js'
import { MIGRATION, waitFor } from './harness.js'
import { ALICE, AWKWARD, BOB, POLL_SCHEMA, REF, TASKS, clientOf, eventually, pollOnce, quiet, type PollResult } from './pollFixture.js'

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack({ sql: [MIGRATION, POLL_SCHEMA] })
})
afterAll(async () => {
  await stack?.stop()
})

/** Every stamp of the table's rows and tombstones (µs), ascending: the cursors at which the answer changes. */
async function stamps(table: string): Promise<number[]> {
  const { rows } = await stack.query<{ at: string }>(
    `select updated_at::text as at from public.${table} union select deleted_at::text from supasync.tombstones where table_name = $1`,
    [table],
  )
  return [...new Set(rows.map((row) => parseVersion(row.at)!))].sort((a, b) => a - b)
}

/** Ids of alice's tasks at or after `since` matching `where` (SQL over the same data, as the superuser). */
async function aliceTasks(since: number | undefined, where: string, params: unknown[] = []): Promise<number[]> {
  const { rows } = await stack.query<{ id: string }>(
    `select id from public.tasks where owner = $1 and ($2::timestamptz is null or updated_at >= $2::timestamptz) and (${where}) order by id`,
    [ALICE, since === undefined ? null : formatMicros(since), ...params],
  )
  return rows.map((row) => Number(row.id))
}

/** Tombstones of a table at or after `since`: key and stamp, in row_key order. */
async function tombstonesSince(table: string, since: number | undefined): Promise<{ rowKey: unknown; version: number }[]> {
  const { rows } = await stack.query<{ row_key: unknown; at: string }>(
    `select row_key, deleted_at::text as at from supasync.tombstones where table_name = $1 and ($2::timestamptz is null or deleted_at >= $2::timestamptz) order by row_key`,
    [table, since === undefined ? null : formatMicros(since)],
  )
  return rows.map((row) => ({ rowKey: row.row_key, version: parseVersion(row.at)! }))
}

/** A transaction held open: both paths' windows then report its start as the watermark (comparable exactly). */
async function holdWindow<T>(body: (heldSince: number) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: stack.databaseUrl })
  await client.connect()
  try {
    await quiet(stack)
    await client.query('begin')
    const { rows } = await client.query<{ started: string }>('select now()::text as started')
    return await body(parseVersion(rows[0]!.started)!)
  } finally {
    await client.query('rollback').catch(() => {})
    await client.end()
  }
}

/**
 * Runs one poll both ways and checks they agree with each other, with the database and in their request counts:
 * the function's first page plus floor(n / pageSize) reads on, against the three requests' one more each.
 */
async function expectSamePoll(target: ReadTarget, since: number | undefined, filters: readonly LiveFilter[] | undefined, heldSince: number): Promise<PollResult> {
  const client = clientOf(stack, ALICE)
  const one = await pollOnce(client, 'rpc', target, since, filters)
  const three = await pollOnce(client, 'three', target, since, filters)
  const label = `since ${since === undefined ? 'the start' : formatMicros(since)}, filters ${JSON.stringify(filters)}, pageSize ${target.pageSize}`
  expect(one.reader.rpc.unusable, label).toBeUndefined()
  expect(one.rows, label).toEqual(three.rows)
  expect(one.tombstones, label).toEqual(three.tombstones)
  expect(one.window, label).toEqual(three.window)
  expect(one.window, label).toMatchObject({ watermark: heldSince, access: { sub: ALICE } })
  const extra = Math.floor(one.rows.length / target.pageSize) + Math.floor(one.tombstones.length / target.pageSize)
  expect(one.requests[0], label).toBe('POST rpc/supasync_poll')
  expect(one.requests, label).toHaveLength(1 + extra)
  expect(three.requests.slice(0, 1), label).toEqual(['POST rpc/supasync_watermark'])
  expect(three.requests, label).toHaveLength(3 + extra)
  return one
}

describe('a poll in one request gives what the three requests give', () => {
  // The windows compare exactly while a transaction is held open (holdWindow), unless one of Realtime's own short
  // transactions began before it and is still open at a watermark read: none meanwhile.
  beforeAll(() => stack.faults.stopRealtime())
  afterAll(() => stack.faults.startRealtime())

  it('at every cursor of the data, across page boundaries (pageSize 4): the same rows, versions, tombstones, window; none of bob\'s rows', async () => {
    const target = { ...TASKS, pageSize: 4 }
    // Each stamp (the >= edge: the row stamped there is in), and 1 µs past every fifth (it is out).
    const cursors = [undefined, ...(await stamps('tasks')).flatMap((at, index) => (index % 5 === 0 ? [at, at + 1] : [at]))]
    const union: LiveFilter[] = [{ project_id: 1 }, { project_id: 2, done: true }]
    await holdWindow(async (heldSince) => {
      for (const since of cursors) {
        for (const [filters, where] of [[undefined, 'true'], [union, '(project_id = 1 or (project_id = 2 and done is true))']] as const) {
          const one = await expectSamePoll(target, since, filters, heldSince)
          // What RLS lets alice read, soft-deleted rows included (that is how their deletion arrives); never bob's.
          expect(one.rows.map((row) => row.id)).toEqual(await aliceTasks(since, where))
          expect(one.rows.filter((row) => row.owner === BOB)).toEqual([])
          // Tombstones are visible per table (SQL README): bob's deleted keys too.
          expect(one.tombstones).toEqual(await tombstonesSince('tasks', since))
        }
      }
    })
    // The sweep above crossed every boundary: full pages of rows and of tombstones, and the overlap's >= edge.
    const all = await pollOnce(clientOf(stack, ALICE), 'rpc', target, undefined, undefined)
    expect(all.rows.length).toBeGreaterThan(8)
    expect(all.tombstones.length).toBeGreaterThan(8)
    expect(all.rows.some((row) => row.deleted_at !== null)).toBe(true)
  })

  it('for every kind of filter value: text with , " ( ) \\ and ., null, booleans, a uuid in upper case, an empty filter; at page sizes 3 and 1000', async () => {
    const cases: [LiveFilter[] | undefined, string, unknown[]][] = [
      [[{ label: AWKWARD }, { label: null }], '(label = $3 or label is null)', [AWKWARD]],
      [[{ ref: REF.toUpperCase(), done: false }], `(ref = '${REF}' and done is false)`, []],
      [[{ done: true }, { project_id: 2, label: 'L8' }], "(done is true or (project_id = 2 and label = 'L8'))", []],
      [[{ project_id: 1 }, {}], 'true', []], // an empty filter: every row
      [[{ label: "x') or ('a' = 'a" }], 'false', []], // a value is data, never SQL
    ]
    const cursors = await stamps('tasks')
    await holdWindow(async (heldSince) => {
      for (const pageSize of [3, 1000]) {
        for (const since of [undefined, cursors[Math.floor(cursors.length / 3)]!]) {
          for (const [filters, where, params] of cases) {
            const one = await expectSamePoll({ ...TASKS, pageSize }, since, filters, heldSince)
            expect(one.rows.map((row) => row.id)).toEqual(await aliceTasks(since, where, params))
          }
        }
      }
    })
    const awkward = await pollOnce(clientOf(stack, ALICE), 'rpc', { ...TASKS, pageSize: 1000 }, undefined, [{ label: AWKWARD }])
    expect(awkward.rows.map((row) => row.id)).toEqual([7, 14, 28])
  })

  it('reads on after the last key of a composite primary key (pairs, pageSize 2)', async () => {
    const target: ReadTarget = { ...TASKS, table: 'pairs', primaryKey: ['a', 'b'], softDeleteColumn: undefined, pageSize: 2 }
    await stack.query(`delete from public.pairs where b in ('k2', 'k7', 'k9')`)
    const cursors = [undefined, ...(await stamps('pairs'))]
    await holdWindow(async (heldSince) => {
      for (const since of cursors) await expectSamePoll(target, since, undefined, heldSince)
    })
    const all = await pollOnce(clientOf(stack, ALICE), 'rpc', target, undefined, undefined)
    const { rows } = await stack.query<{ a: number; b: string }>(`select a, b from public.pairs where owner = $1 order by a, b`, [ALICE])
    expect(all.rows.map((row) => [row.a, row.b])).toEqual(rows.map((row) => [row.a, row.b]))
    expect(all.tombstones).toEqual(await tombstonesSince('pairs', undefined))
    expect(all.tombstones).toHaveLength(3)
  })
})

interface Watched {
  errors: SupasyncError<string>[]
  requests: string[]
  close(): Promise<void>
}

/** A live table of alice's (or anon's, for `loose`) on a client of its own that counts its REST requests. */
function watch(table: string, options: Record<string, unknown> = {}, sub: string | undefined = ALICE) {
  const { supabase, requests } = clientOf(stack, sub)
  const errors: SupasyncError<string>[] = []
  const sync = createSupasync(supabase, { heartbeatIntervalMs: 1000, onError: (error) => errors.push(error) })
  const live = createLiveTable(sync, { supabase, table, maxStalenessMs: 3000, sweepIntervalMs: false, onError: (error) => errors.push(error), ...options })
  const watched: Watched = {
    errors,
    requests,
    async close() {
      live.destroy()
      await sync.destroy()
      await supabase.removeAllChannels()
    },
  }
  return { live, ...watched }
}

/**
 * The requests from index `from` on, through `count` complete polls: up to the first request of the poll after them
 * (a poll starts with a request matching `start`).
 */
async function completePolls(requests: string[], from: number, start: RegExp, count: number): Promise<string[]> {
  const starts = () => requests.slice(from).flatMap((request, index) => (start.test(request) ? [index] : []))
  await eventually(async () => starts().length, (n) => n > count, 10_000, `${count + 1} polls started`)
  return requests.slice(from, from + starts()[count]!)
}

describe('live tables', () => {
  it('verify with one request per poll in realtime mode, and still see what realtime lost', async () => {
    const table = watch('tasks', { filter: { project_id: 1 }, softDeleteColumn: 'deleted_at' })
    try {
      await table.live.ready
      await waitFor(() => table.live.freshness.get().mode === 'realtime', 5000, 'mode realtime')
      // From the first poll in realtime mode on: three verification polls, nothing but one request each.
      const from = table.requests.lastIndexOf('POST rpc/supasync_poll') + 1
      const made = await completePolls(table.requests, from, /rpc\/supasync_poll/, 3)
      expect(made).toEqual(['POST rpc/supasync_poll', 'POST rpc/supasync_poll', 'POST rpc/supasync_poll'])
      // A change realtime does not deliver arrives with the next verification poll, within the budget.
      stack.faults.dropChanges(1)
      const { rows } = await stack.query<{ id: string }>(`update public.tasks set label = 'lost by realtime' where id = 14 and project_id = 1 returning id`)
      expect(rows).toHaveLength(1)
      await eventually(async () => table.live.get(14) as { label?: string } | undefined, (row) => row?.label === 'lost by realtime', 3000, 'the lost change')
      expect(table.live.stats().applied.poll).toBeGreaterThan(0)
      expect(table.errors).toEqual([])
    } finally {
      stack.faults.dropChanges(0)
      await table.close()
    }
  })

  it('poll a table without supasync triggers with the three requests, and say once how to get one', async () => {
    const table = watch('loose', {}, undefined)
    try {
      await table.live.ready
      await stack.faults.stopRealtime()
      const from = table.requests.length
      // No supasync trigger stamps it: the writer does.
      await stack.query(`update public.loose set label = 'polled', updated_at = clock_timestamp() where id = 2`)
      await eventually(async () => table.live.get(2) as { label?: string } | undefined, (row) => row?.label === 'polled', 3000, 'the change by polling')
      const made = await completePolls(table.requests, from, /rpc\/supasync_watermark/, 2)
      // The first poll asks the function once (SSP01: not a supasync table); every poll after that makes three reads.
      expect(table.requests.filter((request) => request.includes('supasync_poll'))).toEqual(['POST rpc/supasync_poll'])
      expect(made.slice(-3)).toEqual(['POST rpc/supasync_watermark', 'GET loose', 'GET supasync_tombstones'])
      const warnings = table.errors.filter((error) => /supasync_poll/.test(error.message))
      expect(warnings.map((error) => error.message)).toEqual([expect.stringMatching(/supasync_poll\(\) does not read public\.loose .* three requests .* select supasync\.enable_polling\('public\.loose'\)/)])
    } finally {
      await table.close()
      await stack.faults.reset()
    }
  })

  it('poll with the three requests where the function is missing (an older migration), with the same view and one warning', async () => {
    await stack.query(`drop function public.supasync_poll(text, text, text, text[], text, jsonb, integer, jsonb, text); notify pgrst, 'reload schema'`)
    const probe = clientOf(stack, ALICE).supabase
    const missing = async () => await probe.rpc('supasync_poll', { target_schema: 'public', target_table: 'tasks', cursor_column: 'updated_at', key_columns: ['id'] })
    let table: ReturnType<typeof watch> | undefined
    try {
      await eventually(missing, (result) => result.error?.code === 'PGRST202', 5000, 'PostgREST without the function')
      table = watch('tasks', { filter: { project_id: 2 }, softDeleteColumn: 'deleted_at' })
      await table.live.ready
      await stack.faults.stopRealtime()
      const from = table.requests.length
      await stack.query(`update public.tasks set label = 'three requests' where id = 13 and project_id = 2`)
      await eventually(async () => table!.live.get(13) as { label?: string } | undefined, (row) => row?.label === 'three requests', 3000, 'the change by polling')
      const made = await completePolls(table.requests, from, /rpc\/supasync_watermark/, 2)
      expect(made.slice(-3)).toEqual(['POST rpc/supasync_watermark', 'GET tasks', 'GET supasync_tombstones'])
      expect(table.requests.filter((request) => request.includes('supasync_poll'))).toEqual(['POST rpc/supasync_poll'])
      expect([...table.live.rows.get().keys()].map(Number)).toEqual(await aliceTasks(undefined, 'project_id = 2 and deleted_at is null'))
      // Realtime was stopped on purpose (its errors are not this test's): one warning about the function.
      expect(table.errors.filter((error) => /supasync_poll/.test(error.message)).map((error) => error.message)).toEqual([expect.stringMatching(/supasync_poll\(\) is missing .* Re-apply/)])
    } finally {
      await table?.close()
      await stack.faults.reset()
      await stack.query(MIGRATION)
      await stack.query(`notify pgrst, 'reload schema'`)
      await eventually(missing, (result) => result.error === null, 5000, 'the function back')
    }
  })
})
