/**
 * Data for the tests of public.supasync_poll() (migration section 8): two users' rows interleaved in key order
 * under RLS, soft deletes, hard deletes (tombstones), awkward filter values, a composite key, and a table without
 * supasync triggers.
 */
import { Scheduler, systemTimers } from '@supasync/core'
import type { LocalStack } from '@supasync/local'
import type { SupabaseClient } from '@supabase/supabase-js'
import type { PostgrestHost } from '../src/PostgrestHost.js'
import { RestReader, type PollWindow, type ReadTarget, type Row, type TombstoneRecord } from '../src/RestReader.js'
import type { LiveFilter } from '../src/rowFilter.js'

export const ALICE = 'a11ce000-0000-4000-8000-000000000001'
export const BOB = 'b0b00000-0000-4000-8000-000000000002'
/** A label with every character PostgREST's logic trees treat specially. */
export const AWKWARD = 'a,b"c(d)e\\f.g'
export const REF = '7f1c0000-0000-4000-8000-00000000abcd'

/**
 * tasks: ids 1–40, alice owns the ids not divisible by 3, bob the rest (so their rows interleave in key order);
 * written one statement per row so each has its own stamp; ids 5, 11, 16 soft-deleted afterwards; ids 31–40 hard
 * deleted (tombstones), alice's and bob's alike. pairs: a composite key (a, b). loose: no supasync trigger.
 */
export const POLL_SCHEMA = `
create table public.tasks (
  id bigint primary key,
  owner uuid not null,
  project_id bigint not null,
  label text,
  done boolean,
  ref uuid,
  deleted_at timestamptz,
  updated_at timestamptz not null default now()
);
alter table public.tasks enable row level security;
create policy tasks_own on public.tasks for select to anon, authenticated using (owner = auth.uid());
select supasync.enable_polling('public.tasks', 'deleted_at');
alter publication supabase_realtime add table public.tasks;
do $$
begin
  for g in 1..40 loop
    insert into public.tasks (id, owner, project_id, label, done, ref) values (
      g,
      case when g % 3 = 0 then '${BOB}'::uuid else '${ALICE}'::uuid end,
      1 + g % 2,
      case when g % 7 = 0 then '${AWKWARD.replace(/'/g, "''")}' when g % 5 = 0 then null else 'L' || g end,
      g % 4 = 0,
      case when g % 6 = 1 then '${REF}'::uuid end);
  end loop;
end $$;
update public.tasks set deleted_at = now() where id in (5, 11, 16);
delete from public.tasks where id between 31 and 40;

create table public.pairs (
  a int not null,
  b text not null,
  owner uuid not null,
  updated_at timestamptz not null default now(),
  primary key (a, b)
);
alter table public.pairs enable row level security;
create policy pairs_own on public.pairs for select to authenticated using (owner = auth.uid());
select supasync.enable_polling('public.pairs');
insert into public.pairs (a, b, owner)
  select g % 3, 'k' || g, case when g % 4 = 0 then '${BOB}'::uuid else '${ALICE}'::uuid end from generate_series(1, 14) g;

create table public.loose (id int primary key, label text, updated_at timestamptz not null default now());
insert into public.loose (id, label) select g, 'x' || g from generate_series(1, 5) g;
alter publication supabase_realtime add table public.loose;
`

export const TASKS: Omit<ReadTarget, 'pageSize'> = {
  schema: 'public',
  table: 'tasks',
  primaryKey: ['id'],
  cursor: 'updated_at',
  softDeleteColumn: 'deleted_at',
  requestTimeoutMs: 10_000,
}

/** A supabase-js client signed in as `sub` (anon without), and the REST requests it sent: method + path. */
export function clientOf(stack: LocalStack, sub?: string): { supabase: SupabaseClient; requests: string[] } {
  const requests: string[] = []
  const fetchSpy: typeof fetch = (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    if (url.pathname.startsWith('/rest/v1/')) requests.push(`${init?.method ?? 'GET'} ${url.pathname.slice('/rest/v1/'.length)}`)
    return fetch(input, init)
  }
  const token = sub === undefined ? undefined : stack.signJwt({ sub })
  const supabase = stack.createClient({ global: { fetch: fetchSpy }, ...(token ? { accessToken: async () => token } : {}) })
  return { supabase, requests }
}

export interface PollResult {
  window: PollWindow | undefined
  rows: Row[]
  tombstones: TombstoneRecord[]
  /** REST requests the poll made (method + path). */
  requests: string[]
}

/**
 * One poll through a fresh RestReader. `path` 'three' starts the reader as one that found the function missing
 * (the state a 404 leaves it in), so both paths run on the same data.
 */
export async function pollOnce(
  client: { supabase: SupabaseClient; requests: string[] },
  path: 'rpc' | 'three',
  target: ReadTarget,
  since: number | undefined,
  filters: readonly LiveFilter[] | undefined,
): Promise<PollResult & { reader: RestReader }> {
  const reader = new RestReader(client.supabase as unknown as PostgrestHost, target, new Scheduler(systemTimers))
  if (path === 'three') reader.rpc.unusable = { reason: 'missing' }
  const before = client.requests.length
  const rows: Row[] = []
  const tombstones: TombstoneRecord[] = []
  const window = await reader.poll(since, filters, {
    rows: (page) => rows.push(...page),
    tombstones: (records) => tombstones.push(...records),
  })
  return { reader, window, rows, tombstones, requests: client.requests.slice(before) }
}

/** Polls until `predicate` holds for the result of `read`, at most `timeoutMs` (async: waitFor is sync-only). */
export async function eventually<T>(read: () => Promise<T>, predicate: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (predicate(value)) return value
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what} (last: ${JSON.stringify(value)?.slice(0, 300)})`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/**
 * Waits until no other session has a transaction open (PostgREST reloads its schema cache after DDL, Realtime polls
 * its slot): the watermark is then the start of the next transaction the test opens, or its caller's own.
 */
export async function quiet(stack: LocalStack): Promise<void> {
  await eventually(
    async () => (await stack.query(`select count(*)::int as n from pg_stat_activity where xact_start is not null and pid <> pg_backend_pid() and backend_type = 'client backend'`)).rows[0]!.n as number,
    (open) => open === 0, 5000, 'no other transaction open')
}
