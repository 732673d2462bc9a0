/**
 * public.supasync_poll() itself (migration section 8), called through PostgREST with the unmodified supabase-js:
 * who may call it and what it reads, what it refuses and how it says so, and that it reads its rows after its
 * watermark (a transaction committing in between is not lost).
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalStack, type LocalStack } from '@supasync/local'
import { parseVersion } from '../src/versions.js'
import { MIGRATION } from './harness.js'
import { ALICE, POLL_SCHEMA, clientOf, eventually, quiet } from './pollFixture.js'

/** A schema PostgREST does not expose, with a table the API roles may read: the function must not open it. */
const PRIVATE_SCHEMA = `
create schema internal;
grant usage on schema internal to anon, authenticated;
create table internal.secrets (id int primary key, secret text, updated_at timestamptz not null default now());
grant select on internal.secrets to anon, authenticated;
insert into internal.secrets (id, secret) values (1, 'not through the API');
`

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack({ sql: [MIGRATION, POLL_SCHEMA, PRIVATE_SCHEMA] })
})
afterAll(async () => {
  await stack?.stop()
})

const ARGS = { target_schema: 'public', target_table: 'tasks', cursor_column: 'updated_at', key_columns: ['id'], since: null, filters: null, page_size: 1000 }

type Answer = { window: { watermark: string }; rows: { id: number; owner: string; updated_at: string }[]; tombstones: unknown[] }

/** Calls the function through PostgREST as alice, or as anon (`sub` null). */
async function call(args: Record<string, unknown>, sub: string | null = ALICE) {
  const { data, error, status } = await clientOf(stack, sub ?? undefined).supabase.rpc('supasync_poll', { ...ARGS, ...args })
  return { data: data as Answer | null, error, status }
}

describe('public.supasync_poll()', () => {
  it('runs as its caller (security invoker, so RLS applies), volatile, callable by the API roles only', async () => {
    const { rows } = await stack.query<{ prosecdef: boolean; provolatile: string; anon: boolean; authenticated: boolean; public_role: boolean }>(`
      select p.prosecdef, p.provolatile,
             has_function_privilege('anon', p.oid, 'EXECUTE') as anon,
             has_function_privilege('authenticated', p.oid, 'EXECUTE') as authenticated,
             exists (select 1 from aclexplode(p.proacl) a where a.grantee = 0) as public_role
        from pg_proc p where p.oid = 'public.supasync_poll(text, text, text, text[], text, jsonb, integer, jsonb, text)'::regprocedure`)
    expect(rows).toEqual([{ prosecdef: false, provolatile: 'v', anon: true, authenticated: true, public_role: false }])
    // RLS: alice reads her rows only, anon none (the policy admits owners); the tombstones are per table for both.
    const alice = await call({})
    expect(alice.error).toBeNull()
    expect(alice.data!.rows.length).toBeGreaterThan(0)
    expect(alice.data!.rows.every((row) => row.owner === ALICE)).toBe(true)
    const anon = await call({}, null)
    expect(anon.error).toBeNull()
    expect(anon.data!.rows).toEqual([])
    expect(anon.data!.tombstones).toEqual(alice.data!.tombstones)
    expect(anon.data!.window).toMatchObject({ access: { sub: 'anon' } })
  })

  it('refuses bad arguments with the code and the fix a client acts on', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ filters: [{ nope: '1' }] }, '42703', /column public\.tasks\.nope does not exist/],
      [{ key_columns: ['id', 'nope'] }, '42703', /column public\.tasks\.nope does not exist/],
      [{ key_columns: [] }, '22023', /key_columns must name the primary key columns/],
      [{ cursor_column: 'created_at' }, '42703', /column public\.tasks\.created_at does not exist/],
      [{ target_table: 'nope' }, '42P01', /relation "public\.nope" does not exist/],
      [{ filters: { project_id: '1' } }, '22023', /filters must be null \(every row\) or a non-empty JSON array/],
      [{ filters: [] }, '22023', /non-empty JSON array/],
      [{ filters: ['project_id'] }, '22023', /each filter must be an object of column -> value/],
      [{ filters: [{ project_id: [1, 2] }] }, '22023', /filter value of project_id must be a string, number, boolean or null/],
      [{ page_size: 0 }, '22023', /page_size must be between 1 and 10000/],
      [{ page_size: 10_001 }, '22023', /page_size must be between 1 and 10000/],
    ]
    for (const [args, code, message] of cases) {
      const { error } = await call(args)
      expect(error, JSON.stringify(args)).toMatchObject({ code, message: expect.stringMatching(message) })
    }
    const { error } = await call({ target_table: 'nope' })
    expect(error!.hint).toMatch(/table and schema options/)
  })

  it('reads only tables set up for supasync polling: not one without its triggers, nor one of an unexposed schema', async () => {
    const loose = await call({ target_table: 'loose' })
    expect(loose.error).toMatchObject({ code: 'SSP01', message: expect.stringMatching(/public\.loose has no supasync trigger/), hint: expect.stringMatching(/select supasync\.enable_polling\('public\.loose'\)/) })
    // PostgREST exposes only public; the role may read internal.secrets, but not through this function.
    const secrets = await call({ target_schema: 'internal', target_table: 'secrets' })
    expect(secrets.error).toMatchObject({ code: 'SSP01' })
    expect(JSON.stringify(secrets)).not.toContain('not through the API')
    const direct = await clientOf(stack, ALICE).supabase.schema('internal' as 'public').from('secrets').select('*')
    expect(direct.error).not.toBeNull() // the schema is not exposed: what the function must not undo
  })

  it('takes identifiers only as checked names and values only as parameters', async () => {
    const injected = await call({ filters: [{ 'id" is not null or "id': '1' }] })
    expect(injected.error).toMatchObject({ code: '42703' })
    // A value is cast to the column type as data: a number column refuses it, a text column compares it.
    const cast = await call({ filters: [{ project_id: '1) or (true' }] })
    expect(cast.error).toMatchObject({ code: '22P02', message: expect.stringMatching(/invalid input syntax for type bigint/) })
    const text = await call({ filters: [{ label: "x' or 'a' = 'a" }, { label: 'L1); delete from public.tasks; --' }] })
    expect(text.error).toBeNull()
    expect(text.data!.rows).toEqual([])
    const { rows } = await stack.query<{ n: string }>('select count(*) as n from public.tasks')
    expect(Number(rows[0]!.n)).toBe(30)
    const key = await call({ key_columns: ['id; drop table public.tasks'] })
    expect(key.error).toMatchObject({ code: '42703' })
  })

  it('refuses to run where its reads could not see what committed before its watermark (REPEATABLE READ)', async () => {
    const client = new pg.Client({ connectionString: stack.databaseUrl })
    await client.connect()
    try {
      await client.query('begin isolation level repeatable read')
      await expect(client.query(`select public.supasync_poll('public', 'tasks', 'updated_at', array['id'])`)).rejects.toThrow(/must run in a READ COMMITTED transaction, not repeatable read/)
    } finally {
      await client.query('rollback')
      await client.end()
    }
  })

  it('reads its rows after its watermark: a transaction that commits between the two is in the answer', async () => {
    // The watermark's read of supasync.access_changes waits for a lock, after the call has started: the writer
    // commits meanwhile. A stable function would read the rows with the snapshot it took before the wait, so the
    // row, stamped before the call began (and so before the watermark), would be in neither this answer nor, with
    // the cursor past it, the next. Realtime's short transactions and PostgREST's schema reloads would hold the
    // watermark back past the row now and then (the outcome says nothing then, and the scenario runs again).
    await stack.faults.stopRealtime()
    try {
      let outcome: { before: boolean; read: boolean } | undefined
      for (let attempt = 0; attempt < 5 && !outcome?.before; attempt++) outcome = await commitDuringCall(100 + attempt)
      expect(outcome).toEqual({ before: true, read: true })
    } finally {
      await stack.query('delete from public.tasks where id >= 100')
      await stack.faults.startRealtime()
    }
  })
})

/**
 * Calls the function while supasync.access_changes is locked, commits a row written before the call, then lets the
 * call go on. `before`: the row's stamp precedes the answer's watermark; `read`: the row is in the answer.
 */
async function commitDuringCall(id: number): Promise<{ before: boolean; read: boolean }> {
  const locker = new pg.Client({ connectionString: stack.databaseUrl })
  const writer = new pg.Client({ connectionString: stack.databaseUrl })
  await Promise.all([locker.connect(), writer.connect()])
  try {
    await quiet(stack)
    await locker.query('begin')
    await locker.query('lock table supasync.access_changes in access exclusive mode')
    await writer.query('begin')
    const written = await writer.query<{ stamp: string }>(`insert into public.tasks (id, owner, project_id) values ($1, $2, 1) returning updated_at::text as stamp`, [id, ALICE])
    const answer = call({})
    await eventually(
      async () => (await stack.query(`select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%supasync_poll%'`)).rows.length,
      (waiting) => waiting > 0, 5000, 'the call waiting for the lock')
    await writer.query('commit')
    await locker.query('commit')
    const { data, error } = await answer
    expect(error).toBeNull()
    return {
      before: parseVersion(written.rows[0]!.stamp)! < parseVersion(data!.window.watermark)!,
      read: data!.rows.some((row) => row.id === id),
    }
  } finally {
    await locker.query('rollback').catch(() => {})
    await writer.query('rollback').catch(() => {})
    await Promise.all([locker.end(), writer.end()])
  }
}
