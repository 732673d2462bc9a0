/**
 * Key digests of public.supasync_poll() (digest_filters) against SQL ground truth and the client's own digest of
 * the same keys: RLS, filters, soft deletes, the cursor's < edge, composite keys, text keys with quotes, backslashes,
 * control characters and 4-byte UTF-8; and a live table in realtime mode that checks its keys for free and drops a
 * row whose access was revoked without a write. Real Postgres and PostgREST (the local stack), the unmodified
 * supabase-js.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalStack, type LocalStack } from '@supasync/local'
import { createSupasync, type SupasyncError } from '@supasync/core'
import type { SupabaseClient } from '@supabase/supabase-js'
import { createLiveTable } from '../src/index.js'
import { addKey, emptyDigest, type KeyDigest } from '../src/KeyDigest.js'
import { rowKey } from '../src/rowKey.js'
import { formatMicros, parseVersion } from '../src/versions.js'
import { MIGRATION } from './harness.js'
import { ALICE, AWKWARD, BOB, POLL_SCHEMA, clientOf, eventually } from './pollFixture.js'

/** Text keys a digest must hash exactly as Postgres does: JSON's special characters, control characters, UTF-8 of every length. */
const AWKWARD_KEYS = ['plain', 'a"b', 'back\\slash', 'tab\there', 'line\nbreak', 'bell\u0001', 'café', '中文', '😀 emoji', AWKWARD, ' spaced ']

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack({
    sql: [MIGRATION, POLL_SCHEMA, `
      create table public.labels (k text primary key, n int not null, updated_at timestamptz not null default now());
      create table public.label_pairs (k text not null, n int not null, updated_at timestamptz not null default now(), primary key (k, n));
      create table public.amounts (amount numeric primary key, updated_at timestamptz not null default now());
      select supasync.enable_polling('public.labels');
      select supasync.enable_polling('public.label_pairs');
      select supasync.enable_polling('public.amounts');
      grant select on public.labels, public.label_pairs, public.amounts to anon, authenticated;
      insert into public.amounts values (1.50), (2), (3.25);
    `],
  })
  for (const [index, key] of AWKWARD_KEYS.entries()) {
    await stack.query('insert into public.labels (k, n) values ($1, $2)', [key, index])
    await stack.query('insert into public.label_pairs (k, n) values ($1, $2)', [key, index])
  }
})
afterAll(async () => {
  await stack?.stop()
})

/** The function's digests for `filters` at cursor `since` (µs), as `sub` (anon without). */
async function digestsOf(supabase: SupabaseClient, table: string, keyColumns: string[], since: number, filters: Record<string, unknown>[], softDelete?: string): Promise<KeyDigest[]> {
  const { data, error } = await supabase.rpc('supasync_poll', {
    target_schema: 'public',
    target_table: table,
    cursor_column: 'updated_at',
    key_columns: keyColumns,
    since: formatMicros(since),
    digest_filters: filters,
    ...(softDelete ? { soft_delete_column: softDelete } : {}),
  })
  expect(error).toBeNull()
  return (data as { digests: KeyDigest[] }).digests
}

/** The client's digest of the rows SQL returns (superuser, so RLS is spelled out in `where`). */
async function truth(table: string, keyColumns: string[], where: string, params: unknown[]): Promise<KeyDigest> {
  const { rows } = await stack.query<Record<string, unknown>>(`select ${keyColumns.join(', ')} from public.${table} where ${where}`, params)
  const digest = emptyDigest()
  // pg hands bigints over as strings, PostgREST as numbers: rowKey makes the same text of both.
  for (const row of rows) addKey(digest, rowKey(row, keyColumns)!)
  return digest
}

async function stampsOf(table: string): Promise<number[]> {
  const { rows } = await stack.query<{ at: string }>(`select updated_at::text as at from public.${table} order by updated_at`)
  return rows.map((row) => parseVersion(row.at)!)
}

describe('key digests of public.supasync_poll()', () => {
  it("equal the client's digest of what RLS, the filter, the soft-delete column and the cursor's < edge leave, at every cursor", async () => {
    const { supabase } = clientOf(stack, ALICE)
    const stamps = await stampsOf('tasks')
    const cursors = [...stamps.filter((_, index) => index % 4 === 0), stamps[stamps.length - 1]! + 1]
    const filters: [Record<string, unknown>, string, unknown[]][] = [
      [{ project_id: '1' }, 'project_id = 1', []],
      [{}, 'true', []],
      [{ label: AWKWARD }, 'label = $3', [AWKWARD]],
      [{ done: true, project_id: '2' }, 'done is true and project_id = 2', []],
    ]
    let nonEmpty = 0
    for (const since of cursors) {
      for (const softDelete of ['deleted_at', undefined]) {
        const answered = await digestsOf(supabase, 'tasks', ['id'], since, filters.map(([filter]) => filter), softDelete)
        expect(answered).toHaveLength(filters.length)
        for (const [index, [filter, where, params]] of filters.entries()) {
          const expected = await truth('tasks', ['id'], `owner = $1 and updated_at < $2::timestamptz and (${where})${softDelete ? ' and deleted_at is null' : ''}`, [ALICE, formatMicros(since), ...params])
          expect(answered[index], `${JSON.stringify(filter)} since ${formatMicros(since)} ${softDelete ?? ''}`).toEqual(expected)
          if (expected.n > 0) nonEmpty++
        }
      }
    }
    // The sweep covered empty and non-empty sets (a test where every digest is {0, 0, 0} would prove nothing).
    expect(nonEmpty).toBeGreaterThan(10)
  })

  it('hash text keys and composite keys exactly as the client keys its rows (quotes, backslashes, control characters, 4-byte UTF-8)', async () => {
    const { supabase } = clientOf(stack)
    const since = (await stampsOf('labels')).at(-1)! + 1
    const [labels] = await digestsOf(supabase, 'labels', ['k'], since, [{}])
    const single = emptyDigest()
    for (const key of AWKWARD_KEYS) addKey(single, key)
    expect(labels).toEqual(single)
    const [pairs] = await digestsOf(supabase, 'label_pairs', ['k', 'n'], (await stampsOf('label_pairs')).at(-1)! + 1, [{}])
    // As PostgREST renders them (n a JSON number), through the client's rowKey.
    const composite = emptyDigest()
    for (const [index, key] of AWKWARD_KEYS.entries()) addKey(composite, rowKey({ k: key, n: index }, ['k', 'n'])!)
    expect(pairs).toEqual(composite)
    // And one key less is a different digest.
    const fewer = emptyDigest()
    for (const key of AWKWARD_KEYS.slice(1)) addKey(fewer, key)
    expect(labels).not.toEqual(fewer)
  })

  it('differ for a numeric key with trailing zeros (its JSON form is not its text): the documented limit that makes a table give digests up', async () => {
    const { supabase } = clientOf(stack)
    const [answered] = await digestsOf(supabase, 'amounts', ['amount'], (await stampsOf('amounts')).at(-1)! + 1, [{}])
    const { data } = await supabase.from('amounts').select('amount')
    const client = emptyDigest()
    for (const row of data as { amount: number }[]) addKey(client, rowKey(row, ['amount'])!)
    expect(answered!.n).toBe(3)
    expect(answered).not.toEqual(client)
  })

  it('are left out without a cursor, and refused with a clear message for an unknown soft-delete column or too many filters', async () => {
    const { supabase } = clientOf(stack, ALICE)
    const args = { target_schema: 'public', target_table: 'tasks', cursor_column: 'updated_at', key_columns: ['id'] }
    const without = await supabase.rpc('supasync_poll', { ...args, digest_filters: [{}] })
    expect(without.error).toBeNull()
    expect((without.data as { digests: unknown }).digests).toBeNull()
    const unknown = await supabase.rpc('supasync_poll', { ...args, since: formatMicros(Date.now() * 1000), digest_filters: [{}], soft_delete_column: 'nope' })
    expect(unknown.error).toMatchObject({ code: '42703', message: 'column public.tasks.nope does not exist', hint: expect.stringMatching(/softDeleteColumn/) })
    const many = await supabase.rpc('supasync_poll', { ...args, since: formatMicros(Date.now() * 1000), digest_filters: Array.from({ length: 1001 }, () => ({})) })
    expect(many.error).toMatchObject({ code: '22023', message: expect.stringMatching(/at most 1000/) })
  })
})

describe('a live table in realtime mode', () => {
  it('checks its keys on its verification polls (no key reads) and drops a row revoked without a write within the budget', async () => {
    const { supabase, requests } = clientOf(stack, ALICE)
    const errors: SupasyncError<string>[] = []
    const sync = createSupasync(supabase, { heartbeatIntervalMs: 1000, onError: (error) => errors.push(error) })
    const live = createLiveTable(sync, { supabase, table: 'tasks', filter: { project_id: 1 }, softDeleteColumn: 'deleted_at', maxStalenessMs: 3000, onError: (error) => errors.push(error) })
    try {
      await live.ready
      await eventually(async () => live.freshness.get().mode, (mode) => mode === 'realtime', 10_000, 'mode realtime')
      const from = requests.length
      await eventually(async () => live.stats().sweep.digestChecks, (checks) => checks >= 4, 15_000, 'four digest checks')
      const quiet = requests.slice(from)
      expect(quiet.length).toBeGreaterThanOrEqual(4)
      expect(quiet.every((request) => request === 'POST rpc/supasync_poll')).toBe(true)
      expect(live.stats().sweep).toMatchObject({ sweeps: 0, digestMismatches: 0 })
      // Row 2 goes to bob without a stamp or a realtime event alice may see (triggers off: no write she can poll).
      const held = [...live.rows.get().keys()]
      expect(held).toContain('2')
      await stack.query(`begin; set local session_replication_role = replica; update public.tasks set owner = '${BOB}' where id = 2; commit`)
      const revokedAt = Date.now()
      await eventually(async () => live.get(2), (row) => row === undefined, 10_000, 'row 2 dropped')
      // Within the budget (3 s) plus a poll's round trip on a loaded machine.
      expect(Date.now() - revokedAt).toBeLessThan(3000 + 2000)
      expect(live.stats().sweep).toMatchObject({ dropped: 1, digestMismatches: 1 })
      expect(requests.slice(from).some((request) => request.startsWith('GET tasks'))).toBe(true)
      expect([...live.rows.get().keys()].sort()).toEqual(held.filter((key) => key !== '2').sort())
      expect(errors).toEqual([])
    } finally {
      live.destroy()
      await sync.destroy()
      await supabase.removeAllChannels()
    }
  })
})
