-- supasync-polling.sql — server side of supasync's polling fallback.
--
-- The polling layer reads changes through PostgREST by cursor:
--   select * from <table> where updated_at > <cursor - overlap>
-- That sees inserts and updates, but a hard DELETE leaves nothing to read.
-- This migration adds what such polling needs:
--
--   supasync.touch_updated_at()    BEFORE INSERT OR UPDATE trigger: the
--                                  server stamps updated_at on every write.
--   supasync.tombstones            one row per hard-deleted primary key,
--   supasync.record_tombstone()    filled by an AFTER DELETE trigger.
--   public.supasync_tombstones     the tombstones as PostgREST sees them
--                                  (security_invoker view; see section 4).
--   supasync.enable_polling(t, soft_delete_column)
--                                  installs both triggers on a table.
--   supasync.prune_tombstones(older_than)
--                                  deletes old tombstones.
--   supasync.track_access(t, user_column), supasync.access_changed(user)
--                                  stamp when a user's access changed, so
--                                  live tables sweep their keys at once.
--   public.supasync_watermark()    where a poll may start, and the caller's
--                                  last access change.
--   supasync.enable_broadcast(t, topic_sql), supasync.disable_broadcast(t)
--                                  a trigger that sends a table's changes to a
--                                  private topic (section 7).
--   public.supasync_poll(...)      a whole poll (watermark, changed rows,
--                                  tombstones) in one request (section 8).
--
-- Requirements: PostgreSQL 15+ (security_invoker views; hosted Supabase is
-- 15+), roles anon and authenticated (as on Supabase). Run it as the role
-- that owns your tables (on Supabase: `postgres`, i.e. a normal migration).
-- Idempotent: safe to run twice; re-running upgrades the functions in place.
-- See packages/polling/sql/README.md.

create schema if not exists supasync;
comment on schema supasync is 'supasync polling helpers (updated_at stamps, tombstones). Not exposed by PostgREST; read tombstones via public.supasync_tombstones.';

-- API roles need USAGE to read supasync.tombstones through the
-- security_invoker view. Everything else in the schema is revoked below, so
-- USAGE grants nothing further.
grant usage on schema supasync to anon, authenticated, service_role;

-- ===========================================================================
-- 1. updated_at stamping
-- ===========================================================================
-- Sets updated_at on every INSERT and UPDATE, overriding whatever the client
-- sent: the server owns the polling cursor column. (A client-supplied,
-- older updated_at would put the row behind other clients' cursors, and they
-- would never see it.)
--
-- Why clock_timestamp(), not now(): now() is the *transaction's* start time.
-- All rows written by one transaction -- and the same row updated twice in
-- it -- would get the same stamp, and a long transaction would stamp its rows
-- with a time long before they were written. clock_timestamp() is the time of
-- this very row write, so each row version gets its own increasing stamp.
--
-- Commit-order caveat (what the polling overlap window is for): no timestamp
-- taken inside a transaction reflects COMMIT order. Transaction A stamps a
-- row at 10:00:00.100 but commits at 10:00:00.900; transaction B stamps and
-- commits at 10:00:00.500. A poll at 10:00:00.600 sees B's row and advances
-- its cursor to .500; A's row becomes visible later with a stamp (.100) that
-- is *behind* the cursor. The polling layer therefore never moves its cursor
-- past public.supasync_watermark() (section 6: the start of the oldest open
-- transaction), re-reads a small overlap window before it, and de-duplicates
-- by primary key + updated_at. Without the watermark function, rows from a
-- transaction that stays open longer than the overlap window can be missed.
create or replace function supasync.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_when <> 'BEFORE' or tg_level <> 'ROW' or tg_op not in ('INSERT', 'UPDATE') then
    raise exception 'supasync.touch_updated_at() must be a BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger';
  end if;
  new.updated_at := clock_timestamp();
  return new;
end
$$;
comment on function supasync.touch_updated_at() is
  'BEFORE INSERT OR UPDATE row trigger: sets updated_at = clock_timestamp() (server-owned polling cursor).';

-- ===========================================================================
-- 2. Tombstones
-- ===========================================================================
-- row_key is a JSON object of the deleted row's primary key columns, exactly
-- as to_jsonb(row) renders them: {"id": 42}, {"id": "7f1c..."} (uuid),
-- {"project_id": 1, "user_id": "..."} (composite). jsonb objects are
-- canonical (key order does not matter), so one key = one tombstone.
create table if not exists supasync.tombstones (
  table_schema text        not null,
  table_name   text        not null,
  row_key      jsonb       not null,
  deleted_at   timestamptz not null default clock_timestamp(),
  primary key (table_schema, table_name, row_key)
);
comment on table supasync.tombstones is
  'One row per hard-deleted primary key of a table with supasync.record_tombstone() (see supasync.enable_polling). Pruned by supasync.prune_tombstones().';

-- "What was deleted from table T since cursor C" (the polling query).
create index if not exists tombstones_table_deleted_at_idx
  on supasync.tombstones (table_schema, table_name, deleted_at);

-- AFTER DELETE row trigger: upserts a tombstone for the deleted row's key.
--
-- Which columns form the key:
--   * no trigger arguments (what enable_polling installs): the table's
--     PRIMARY KEY, read from pg_index / pg_attribute when the trigger fires.
--     Deriving it at fire time (rather than freezing column names into the
--     trigger at install time) means a changed primary key needs no
--     re-install; the catalog lookup is served from Postgres' syscache.
--   * trigger arguments: the given column names, in order, e.g.
--       create trigger supasync_record_tombstone after delete on t
--         for each row execute function supasync.record_tombstone('tenant_id', 'slug');
--     For tables without a primary key (use a unique, not-null column set).
--
-- Re-delete: if a key is deleted, re-inserted and deleted again, the existing
-- tombstone's deleted_at moves to the new delete (ON CONFLICT DO UPDATE), so a
-- poller whose cursor passed the first delete still sees the second one.
--
-- Partitions: a trigger on a partitioned table is cloned onto each partition,
-- and TG_TABLE_NAME is then the partition's name. Tombstones are recorded
-- under the partition tree's root table, which is what clients query.
--
-- SECURITY DEFINER: the deleting role (e.g. authenticated) has no privileges
-- on supasync.tombstones; the function runs as its owner (the migration role,
-- which also owns the table and so is not subject to its RLS).
create or replace function supasync.record_tombstone()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  key_columns text[];
  old_row     jsonb;
  key_value   jsonb;
  missing     text;
  target      oid;
  target_schema text;
  target_name   text;
begin
  if tg_when <> 'AFTER' or tg_level <> 'ROW' or tg_op <> 'DELETE' then
    raise exception 'supasync.record_tombstone() must be an AFTER DELETE ... FOR EACH ROW trigger';
  end if;

  if tg_nargs > 0 then
    key_columns := tg_argv;
  else
    select array_agg(a.attname::text order by k.ord)
      into key_columns
      from pg_catalog.pg_index i
      cross join lateral unnest(i.indkey::int2[]) with ordinality as k(attnum, ord)
      join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
     where i.indrelid = tg_relid and i.indisprimary;
    if key_columns is null then
      raise exception 'supasync.record_tombstone(): table %.% has no primary key', tg_table_schema, tg_table_name
        using hint = 'Add a primary key, or pass the key columns as trigger arguments: execute function supasync.record_tombstone(''col1'', ''col2'')';
    end if;
  end if;

  old_row := pg_catalog.to_jsonb(old);
  select c into missing from unnest(key_columns) as c where not (old_row ? c) limit 1;
  if missing is not null then
    raise exception 'supasync.record_tombstone(): table %.% has no column %', tg_table_schema, tg_table_name, missing;
  end if;
  select pg_catalog.jsonb_object_agg(c, old_row -> c) into key_value from unnest(key_columns) as c;

  target := coalesce(pg_catalog.pg_partition_root(tg_relid), tg_relid);
  if target = tg_relid then
    target_schema := tg_table_schema;
    target_name := tg_table_name;
  else
    select n.nspname, c.relname into target_schema, target_name
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.oid = target;
  end if;

  insert into supasync.tombstones as t (table_schema, table_name, row_key, deleted_at)
  values (target_schema, target_name, key_value, pg_catalog.clock_timestamp())
  on conflict (table_schema, table_name, row_key)
  do update set deleted_at = excluded.deleted_at;
  return null;
end
$$;
comment on function supasync.record_tombstone() is
  'AFTER DELETE row trigger: upserts (schema, table, primary key) into supasync.tombstones. Optional arguments: key column names.';

-- ===========================================================================
-- 3. Registry, enable_polling, prune_tombstones
-- ===========================================================================
-- Which tables enable_polling was run on, and their soft-delete column (for
-- operators and tooling; the triggers do not read it).
create table if not exists supasync.polled_tables (
  table_schema       text not null,
  table_name         text not null,
  soft_delete_column text,
  enabled_at         timestamptz not null default now(),
  primary key (table_schema, table_name)
);
comment on table supasync.polled_tables is
  'Tables set up by supasync.enable_polling() and their soft-delete column, if any.';

-- Installs, on `target`:
--   supasync_touch_updated_at   BEFORE INSERT OR UPDATE -> touch_updated_at()
--   supasync_record_tombstone   AFTER DELETE            -> record_tombstone()
-- Idempotent (CREATE OR REPLACE TRIGGER). The table must have an
-- `updated_at timestamptz` column and a primary key.
--
-- soft_delete_column: name of a timestamp(tz) column (e.g. deleted_at) that
-- the app sets instead of deleting. The row stays; setting the column is an
-- UPDATE, so updated_at advances and polling picks it up, and polling treats
-- a non-null value as "deleted" (null again = restored). The tombstone
-- trigger is installed regardless, because hard deletes still happen
-- (ON DELETE CASCADE, purging old soft-deleted rows) and must reach clients.
create or replace function supasync.enable_polling(target regclass, soft_delete_column text default null)
returns void
language plpgsql
set search_path = ''
as $$
declare
  rel_schema text;
  rel_name   text;
  rel_kind   "char";
  col_type   text;
begin
  select n.nspname, c.relname, c.relkind into rel_schema, rel_name, rel_kind
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where c.oid = target;
  if rel_kind not in ('r', 'p') then
    raise exception 'supasync.enable_polling(): % is not a table', target;
  end if;

  select pg_catalog.format_type(a.atttypid, a.atttypmod) into col_type
    from pg_catalog.pg_attribute a
   where a.attrelid = target and a.attname = 'updated_at' and a.attnum > 0 and not a.attisdropped;
  if col_type is null then
    raise exception 'supasync.enable_polling(): % has no updated_at column', target
      using hint = format('alter table %s add column updated_at timestamptz not null default now();', target);
  end if;
  if col_type <> 'timestamp with time zone' then
    raise exception 'supasync.enable_polling(): %.updated_at is %, expected timestamptz', target, col_type;
  end if;

  if not exists (select 1 from pg_catalog.pg_index i where i.indrelid = target and i.indisprimary) then
    raise exception 'supasync.enable_polling(): % has no primary key', target
      using hint = 'Add a primary key, or create the tombstone trigger yourself with the key columns as arguments (see supasync.record_tombstone).';
  end if;

  if soft_delete_column is not null then
    col_type := null;
    select pg_catalog.format_type(a.atttypid, a.atttypmod) into col_type
      from pg_catalog.pg_attribute a
     where a.attrelid = target and a.attname = soft_delete_column and a.attnum > 0 and not a.attisdropped;
    if col_type is null then
      raise exception 'supasync.enable_polling(): % has no column %', target, soft_delete_column
        using hint = format('alter table %s add column %I timestamptz;', target, soft_delete_column);
    end if;
    if col_type not in ('timestamp with time zone', 'timestamp without time zone') then
      raise exception 'supasync.enable_polling(): soft-delete column %.% is %, expected timestamptz (null = live, non-null = deleted)',
        target, soft_delete_column, col_type;
    end if;
  end if;

  execute format(
    'create or replace trigger supasync_touch_updated_at before insert or update on %s '
    'for each row execute function supasync.touch_updated_at()', target);
  execute format(
    'create or replace trigger supasync_record_tombstone after delete on %s '
    'for each row execute function supasync.record_tombstone()', target);

  insert into supasync.polled_tables (table_schema, table_name, soft_delete_column)
  values (rel_schema, rel_name, soft_delete_column)
  on conflict (table_schema, table_name)
  do update set soft_delete_column = excluded.soft_delete_column, enabled_at = now();
end
$$;
comment on function supasync.enable_polling(regclass, text) is
  'Installs supasync_touch_updated_at and supasync_record_tombstone triggers on a table (idempotent); optionally records a soft-delete column.';

-- Deletes tombstones older than `older_than`; returns how many. A client that
-- has not polled for longer than this retention must do a full resync (it
-- can no longer learn which rows were deleted). Schedule it, e.g. with
-- pg_cron: select cron.schedule('supasync-prune', '0 3 * * *',
--   $$select supasync.prune_tombstones('7 days')$$);
create or replace function supasync.prune_tombstones(older_than interval default '7 days')
returns bigint
language sql
set search_path = ''
as $$
  with pruned as (
    delete from supasync.tombstones
     where deleted_at < pg_catalog.clock_timestamp() - older_than
    returning 1
  )
  select count(*) from pruned;
$$;
comment on function supasync.prune_tombstones(interval) is
  'Deletes tombstones older than the given interval (default 7 days); returns the number deleted.';

-- Functions are executable by PUBLIC by default. None of these is for API
-- roles (triggers still fire: EXECUTE is only checked at CREATE TRIGGER).
revoke all on function supasync.touch_updated_at()              from public, anon, authenticated;
revoke all on function supasync.record_tombstone()              from public, anon, authenticated;
revoke all on function supasync.enable_polling(regclass, text)  from public, anon, authenticated;
revoke all on function supasync.prune_tombstones(interval)      from public, anon, authenticated;
revoke all on table supasync.polled_tables from public, anon, authenticated;

-- ===========================================================================
-- 4. Who may read tombstones
-- ===========================================================================
-- A role may read the tombstones of exactly the tables it may SELECT from
-- (has_table_privilege, evaluated for the requesting role). Tombstones of a
-- dropped table are visible to nobody but the owner / service_role.
--
-- Note: this is table-level, not row-level. The source table's RLS policies
-- are NOT applied to its tombstones (the row is gone; there is nothing left to
-- evaluate them on). A user who can read *some* rows of a table sees the
-- tombstones of *all* its deleted rows -- each reveals only the table name,
-- the primary key and the delete time. If primary keys are themselves
-- sensitive, do not enable tombstones on that table (use a soft-delete
-- column, whose rows stay under RLS).
alter table supasync.tombstones enable row level security;

drop policy if exists tombstones_select_readable_tables on supasync.tombstones;
create policy tombstones_select_readable_tables on supasync.tombstones
  for select to anon, authenticated
  using (pg_catalog.has_table_privilege(
    pg_catalog.to_regclass(pg_catalog.format('%I.%I', table_schema, table_name)), 'SELECT'));

revoke all on table supasync.tombstones from public, anon, authenticated;
grant select on table supasync.tombstones to anon, authenticated, service_role;

-- PostgREST exposes only its configured schemas (`public` on the supasync
-- local stack and by default on Supabase), so the tombstones are published as
-- a view in public. security_invoker = true: the view reads
-- supasync.tombstones as the requesting role, so the policy above applies
-- (a plain view would run as its owner and bypass it).
create or replace view public.supasync_tombstones
  with (security_invoker = true)
  as select table_schema, table_name, row_key, deleted_at from supasync.tombstones;
comment on view public.supasync_tombstones is
  'Hard-deleted primary keys of tables you can SELECT from (supasync polling). Filter by table_schema, table_name, deleted_at.';

-- Supabase's default privileges grant ALL on new public tables/views to the
-- API roles; this view is read-only for them.
revoke all on table public.supasync_tombstones from public, anon, authenticated;
grant select on table public.supasync_tombstones to anon, authenticated, service_role;

-- ===========================================================================
-- 5. Access changes (RLS revocation and grants)
-- ===========================================================================
-- Delta polls see rows that were written. A user removed from a project (or
-- added to one) changes what RLS lets them read without writing any of those
-- rows, so no poll notices. A live table can compare the keys it holds with
-- the keys it may read (a key sweep), but a sweep reads every key of its
-- filter: too costly to run every few seconds on large tables.
--
-- So the membership tables that your policies consult say when a user's
-- access changed: supasync.track_access('public.members', 'user_id') installs
-- a trigger that stamps supasync.access_changes for the user in the old and
-- the new row of every INSERT, UPDATE and DELETE. public.supasync_watermark()
-- returns the caller's stamp (the JWT's sub, or 'anon') as `access`, read by
-- every poll anyway; when it moves, the live table sweeps its keys at once.
-- For changes that touch everyone (a policy rewritten, a role renamed), call
-- supasync.access_changed() (no argument: user '*').
create table if not exists supasync.access_changes (
  user_id    text        primary key,
  changed_at timestamptz not null default clock_timestamp()
);
comment on table supasync.access_changes is
  'When each user''s access last changed (''*'': everyone''s), stamped by supasync.track_access triggers; read through public.supasync_watermark().';
revoke all on table supasync.access_changes from public, anon, authenticated;

create or replace function supasync.access_changed(user_id text default '*')
returns void
language sql
security definer
set search_path = ''
as $$
  insert into supasync.access_changes (user_id, changed_at) values (user_id, pg_catalog.clock_timestamp())
  on conflict (user_id) do update set changed_at = excluded.changed_at
$$;
comment on function supasync.access_changed(text) is
  'Stamps an access change for one user id (default ''*'': everyone): their live tables sweep their keys at the next poll.';
revoke all on function supasync.access_changed(text) from public, anon, authenticated;

-- AFTER INSERT OR UPDATE OR DELETE row trigger; argument: the column holding
-- the user id (compared as text with the JWT's sub: it must hold exactly what
-- auth.uid() returns, e.g. a lowercase uuid; an array column stamps each of
-- its elements). A statement trigger of the same function after TRUNCATE
-- stamps everyone ('*').
create or replace function supasync.record_access_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  users text[] := '{}';
  value jsonb;
begin
  if tg_when <> 'AFTER' or tg_nargs <> 1 then
    raise exception 'supasync.record_access_change(user_column) must be an AFTER trigger with one argument';
  end if;
  if tg_op = 'TRUNCATE' then
    users := array['*'];
  else
    foreach value in array array[
      case when tg_op in ('UPDATE', 'DELETE') then pg_catalog.to_jsonb(old) -> tg_argv[0] end,
      case when tg_op in ('INSERT', 'UPDATE') then pg_catalog.to_jsonb(new) -> tg_argv[0] end]
    loop
      if value is null or pg_catalog.jsonb_typeof(value) = 'null' then continue; end if;
      if pg_catalog.jsonb_typeof(value) = 'array' then
        users := users || array(select pg_catalog.jsonb_array_elements_text(value));
      else
        users := users || (value #>> '{}');
      end if;
    end loop;
  end if;
  insert into supasync.access_changes (user_id, changed_at)
  select d.u, pg_catalog.clock_timestamp()
    from (select distinct x.u from pg_catalog.unnest(users) as x(u) where x.u is not null) as d
  on conflict (user_id) do update set changed_at = excluded.changed_at;
  return null;
end
$$;
revoke all on function supasync.record_access_change() from public, anon, authenticated;

-- One trigger pair per (table, user column): a table that names users in two
-- columns (owner, grantee) is tracked twice. UPDATEs stamp only when a
-- column other than those in `ignore` changed (e.g. a last_seen column would
-- otherwise make every poll of that user sweep).
create or replace function supasync.track_access(membership regclass, user_column text, ignore text[] default '{}')
returns void
language plpgsql
set search_path = ''
as $$
declare
  name text := pg_catalog.left('supasync_access_' || user_column, 63);
  compared text;
begin
  if not exists (
    select 1 from pg_catalog.pg_attribute a
     where a.attrelid = membership and a.attname = user_column and a.attnum > 0 and not a.attisdropped) then
    raise exception 'supasync.track_access: % has no column %', membership, user_column
      using hint = 'Pass the column that holds the user id your policies compare with auth.uid().';
  end if;
  if user_column = any(ignore) then
    raise exception 'supasync.track_access: the user column % cannot be ignored', user_column;
  end if;
  -- old and new compared without the ignored columns
  compared := pg_catalog.format('(pg_catalog.to_jsonb(old) - %L::text[]) is distinct from (pg_catalog.to_jsonb(new) - %L::text[])', ignore, ignore);
  execute pg_catalog.format('drop trigger if exists %I on %s', name, membership);
  execute pg_catalog.format('drop trigger if exists %I on %s', name || '_t', membership);
  execute pg_catalog.format('drop trigger if exists %I on %s', name || '_u', membership);
  execute pg_catalog.format(
    'create trigger %I after insert or delete on %s for each row execute function supasync.record_access_change(%L)',
    name, membership, user_column);
  execute pg_catalog.format(
    'create trigger %I after update on %s for each row when (%s) execute function supasync.record_access_change(%L)',
    name || '_u', membership, compared, user_column);
  execute pg_catalog.format(
    'create trigger %I after truncate on %s for each statement execute function supasync.record_access_change(%L)',
    name || '_t', membership, user_column);
end
$$;
comment on function supasync.track_access(regclass, text, text[]) is
  'Installs the triggers that stamp supasync.access_changes for the users in the rows of a membership table your RLS policies consult (UPDATEs of only the ignored columns do not count).';
revoke all on function supasync.track_access(regclass, text, text[]) from public, anon, authenticated;
-- The two-argument version of an earlier copy of this file.
drop function if exists supasync.track_access(regclass, text);

-- ===========================================================================
-- 6. Poll watermark
-- ===========================================================================
-- The cursor stamp (clock_timestamp() in the trigger above, or a now()
-- default) is never earlier than the start of the writing transaction. So a
-- row stamped before the start of the oldest transaction still open is
-- committed (or rolled back) for good, and a poll may safely move its cursor
-- up to that instant, however long a transaction stays open: the client reads
-- this watermark first, then `updated_at >= previous watermark`, and keeps the
-- new watermark for the next read. Every still-open client transaction holds
-- it back, read-only ones included (harmless: they only widen the re-read).
--
-- security definer: API roles see other roles' xact_start as NULL in
-- pg_stat_activity. The owner must see them: a superuser, or a member of
-- pg_read_all_stats (hosted Supabase's postgres role is). If the owner cannot,
-- the watermark degrades to now() and the client's overlap window is the only
-- protection left.
-- Returns jsonb so the client also learns whether the owner could see every
-- session ("complete") and the caller's last access change (section 5).
-- "now" (the server clock) is informational: bounding a poll's reads by it
-- would skip every row updated after it, and a row updated more often than
-- a poll takes would never be read.
-- Every backend with an open transaction counts, not only client backends:
-- background workers (pg_cron jobs, for example) write too.
-- Not covered: prepared (two-phase) transactions, and reads that PostgREST
-- sends to a lagging read replica while this runs on the primary.
drop function if exists public.supasync_watermark();
create function public.supasync_watermark()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'watermark', least(
      pg_catalog.now(),
      (select pg_catalog.min(a.xact_start)
         from pg_catalog.pg_stat_activity a
        where a.xact_start is not null
          and a.pid <> pg_catalog.pg_backend_pid())),
    'now', pg_catalog.clock_timestamp(),
    'complete', coalesce((select r.rolsuper from pg_catalog.pg_roles r where r.rolname = current_user), false)
                or pg_catalog.pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER'),
    -- Section 5: who the caller is and when their access last changed, and everyone's (each null when never).
    -- The client sweeps when any of the three differs from the last answer (not only when one grows: a stamp is
    -- taken before its transaction commits, so a later-committed one can be older than one already seen).
    'access', (select pg_catalog.jsonb_build_object(
                 'sub', c.sub,
                 'user', (select a.changed_at from supasync.access_changes a where a.user_id = c.sub),
                 'all', (select a.changed_at from supasync.access_changes a where a.user_id = '*'),
                 -- whether any table is tracked at all (for the client's advice, not its logic)
                 'tracked', exists (select 1 from pg_catalog.pg_trigger t where t.tgname like 'supasync\_access\_%'))
               from (select coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub', 'anon') as sub) c)
  )
$$;
comment on function public.supasync_watermark() is
  '{watermark: start of the oldest open transaction (or now()), now: clock_timestamp(), complete: the owner sees every session, access: when the caller''s access last changed (section 5)}. Rows stamped before watermark are final (supasync polling cursor).';
revoke all on function public.supasync_watermark() from public, anon, authenticated;
grant execute on function public.supasync_watermark() to anon, authenticated, service_role;

-- ===========================================================================
-- 7. Broadcast from Database (createLiveTable({ source: 'broadcast', topic }))
-- ===========================================================================
-- postgres_changes checks every change against every subscriber's RLS, on
-- one thread; Supabase recommends Broadcast from Database on private
-- channels instead once an app outgrows it: a row trigger calls
-- realtime.broadcast_changes, which stores the change in realtime.messages,
-- and Realtime delivers it to the clients joined to the topic, authorized
-- once per join by SELECT policies on realtime.messages.
--
-- supasync.enable_broadcast(target, topic_sql) installs that trigger
-- (supasync_broadcast, AFTER INSERT OR UPDATE OR DELETE, FOR EACH ROW).
-- topic_sql is one SQL expression over the row's columns that names its
-- topic, e.g. $$'project:' || project_id$$: evaluated on NEW for INSERT and
-- UPDATE, on OLD for DELETE. Each change is sent with the event TG_OP and the
-- payload { operation, record, old_record, table, schema } (the partition
-- tree's root table), which live tables with source 'broadcast' apply.
--   * A row whose topic changes (moved to another project) is also sent to
--     its old topic as a DELETE of the old row, so that topic's readers see
--     it leave without seeing its new values.
--   * A NULL topic sends nothing for that row.
--   * SECURITY DEFINER: realtime.send inserts into realtime.messages as the
--     caller, and a writer with no INSERT policy there would lose the
--     broadcast (realtime.send turns the refusal into a WARNING). The trigger
--     runs as its owner: the role that ran this file (on Supabase `postgres`,
--     which bypasses RLS), so writers need no policy on realtime.messages.
--
-- topic_sql is SQL by design, run by the trigger with the owner's rights on
-- every write: write it yourself in a migration, never build it from user
-- input. It is checked to be one expression (no ';') that compiles against
-- the table's columns with an empty search_path (qualify your functions with
-- their schema) before anything is installed. Only the migration role may
-- call these functions.
--
-- Who receives a topic is decided by your SELECT policies on
-- realtime.messages, NOT by the table's RLS: a reader of 'project:42'
-- receives every row sent there, all columns. Give topics the granularity of
-- your RLS (one per project when project members may read all its rows), and
-- a policy such as:
--
--   create policy "project members receive project changes" on realtime.messages
--     for select to authenticated
--     using (realtime.messages.extension = 'broadcast'
--            and exists (select 1 from public.project_members m
--                         where m.user_id = (select auth.uid())
--                           and 'project:' || m.project_id = (select realtime.topic())));
create or replace function supasync.broadcast_row_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  -- arguments from enable_broadcast: the topic expression, the root table's schema and name
  topic_sql  text := tg_argv[0];
  new_topic  text;
  old_topic  text;
begin
  if tg_when <> 'AFTER' or tg_level <> 'ROW' or tg_nargs <> 3 then
    raise exception 'supasync.broadcast_row_change() must be an AFTER ... FOR EACH ROW trigger installed by supasync.enable_broadcast()';
  end if;
  -- The expression sees the row's columns by name: ($1).* of the changed row.
  if tg_op in ('INSERT', 'UPDATE') then
    execute pg_catalog.format('select (%s)::text from (select ($1).*) as changed_row', topic_sql) into new_topic using new;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    execute pg_catalog.format('select (%s)::text from (select ($1).*) as changed_row', topic_sql) into old_topic using old;
  end if;
  if tg_op = 'DELETE' then
    if old_topic is not null then
      perform realtime.broadcast_changes(old_topic, tg_op, tg_op, tg_argv[2], tg_argv[1], new, old);
    end if;
    return null;
  end if;
  if new_topic is not null then
    perform realtime.broadcast_changes(new_topic, tg_op, tg_op, tg_argv[2], tg_argv[1], new, old);
  end if;
  if tg_op = 'UPDATE' and old_topic is not null and old_topic is distinct from new_topic then
    perform realtime.broadcast_changes(old_topic, 'DELETE', 'DELETE', tg_argv[2], tg_argv[1], null::record, old);
  end if;
  return null;
end
$$;
comment on function supasync.broadcast_row_change() is
  'AFTER INSERT OR UPDATE OR DELETE row trigger installed by supasync.enable_broadcast: sends each change with realtime.broadcast_changes to the topic its expression names.';

create or replace function supasync.enable_broadcast(target regclass, topic_sql text)
returns void
language plpgsql
set search_path = ''
as $$
declare
  rel_kind   "char";
  root       oid;
  root_schema text;
  root_name  text;
begin
  select c.relkind into rel_kind from pg_catalog.pg_class c where c.oid = target;
  if rel_kind not in ('r', 'p') then
    raise exception 'supasync.enable_broadcast(): % is not a table', target;
  end if;
  if pg_catalog.to_regprocedure('realtime.broadcast_changes(text, text, text, text, text, record, record, text)') is null then
    raise exception 'supasync.enable_broadcast(): realtime.broadcast_changes does not exist in this database'
      using hint = 'Run it in a Supabase project database (or on the supasync local stack), where the Realtime server created the realtime schema.';
  end if;
  if topic_sql is null or pg_catalog.btrim(topic_sql) = '' then
    raise exception 'supasync.enable_broadcast(): topic_sql is required: one SQL expression over the row''s columns that names its topic'
      using hint = 'For example: select supasync.enable_broadcast(''public.components'', $sql$''project:'' || project_id$sql$);';
  end if;
  if pg_catalog.strpos(topic_sql, ';') > 0 then
    raise exception 'supasync.enable_broadcast(): topic_sql must be one SQL expression, without ";": %', topic_sql
      using hint = 'Write the topic as an expression over the row''s columns, e.g. ''project:'' || project_id (use chr(59) for a literal semicolon).';
  end if;
  -- Compiled, not run (limit 0), against the table's columns, under the trigger's empty search_path.
  begin
    execute pg_catalog.format('select (%s)::text from (select (null::%s).*) as changed_row limit 0', topic_sql, target);
  exception when others then
    raise exception 'supasync.enable_broadcast(): the topic expression % does not compile against %: %', topic_sql, target, sqlerrm
      using hint = 'Write one SQL expression over the table''s columns, e.g. ''project:'' || project_id; qualify functions with their schema (the trigger runs with an empty search_path).';
  end;

  -- Partitions: the trigger is cloned onto each partition; changes are named after the root table, which is what
  -- live tables read.
  root := coalesce(pg_catalog.pg_partition_root(target), target);
  select n.nspname, c.relname into root_schema, root_name
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where c.oid = root;

  execute pg_catalog.format(
    'create or replace trigger supasync_broadcast after insert or update or delete on %s '
    'for each row execute function supasync.broadcast_row_change(%L, %L, %L)', target, topic_sql, root_schema, root_name);

  if not exists (select 1 from supasync.polled_tables p where p.table_schema = root_schema and p.table_name = root_name) then
    raise notice 'supasync.enable_broadcast(): %.% is not enabled for polling; a live table also needs select supasync.enable_polling(''%'') (updated_at stamps and tombstones).',
      root_schema, root_name, pg_catalog.format('%I.%I', root_schema, root_name);
  end if;
end
$$;
comment on function supasync.enable_broadcast(regclass, text) is
  'Installs the supasync_broadcast trigger: every INSERT, UPDATE and DELETE is sent with realtime.broadcast_changes to the private topic topic_sql (an expression over the row''s columns) names. Idempotent; re-run to change the expression.';

create or replace function supasync.disable_broadcast(target regclass)
returns void
language plpgsql
set search_path = ''
as $$
begin
  execute pg_catalog.format('drop trigger if exists supasync_broadcast on %s', target);
end
$$;
comment on function supasync.disable_broadcast(regclass) is
  'Removes the supasync_broadcast trigger of supasync.enable_broadcast from a table.';

revoke all on function supasync.broadcast_row_change()            from public, anon, authenticated;
revoke all on function supasync.enable_broadcast(regclass, text)  from public, anon, authenticated;
revoke all on function supasync.disable_broadcast(regclass)       from public, anon, authenticated;

-- ===========================================================================
-- 8. One request per poll
-- ===========================================================================
-- A poll reads the watermark (section 6), then the rows changed since the
-- client's cursor, then the tombstones since it: three PostgREST requests,
-- every verification interval, for every client. public.supasync_poll()
-- answers all three in one request:
--
--   {"window": <public.supasync_watermark()>,
--    "rows": [<first page of changed rows>], "tombstones": [<first page>]}
--
-- with exactly the reads the client would make itself: rows whose cursor is
-- >= since (all rows when since is null) that match one of `filters`, in
-- key_columns order, at most page_size of them (select *, as PostgREST
-- renders rows); tombstones of the table with deleted_at >= since, in row_key
-- order, at most page_size. A part that fills page_size may have more: the
-- client reads on from its last key through PostgREST, as before.
--
-- filters: null (every row) or a JSON array of alternatives, each an object
-- of column -> value, ANDed:  [{"project_id": "1"}, {"project_id": "2",
-- "done": true}]. A string or number compares with = after a cast to the
-- column's type (what PostgREST does with `eq`); true / false / null test
-- with IS (PostgREST's `is`). Column names are checked against the table and
-- quoted (%I); values reach the query only as parameters.
--
-- security invoker: the caller's privileges and the table's RLS policies
-- apply to the rows, and the tombstone view's policy to the tombstones, as
-- for the three requests. The watermark part calls public.supasync_watermark()
-- (security definer: it must see other sessions).
--
-- Only tables set up for supasync polling are read: ones with a trigger
-- calling supasync.touch_updated_at() or supasync.record_tombstone() (what
-- supasync.enable_polling installs). PostgREST exposes only some schemas;
-- this function must not become a way to read others (a table of an
-- unexposed schema that the API roles happen to be granted). Other tables
-- get SQLSTATE SSP01, and the client polls them with the three requests.
--
-- volatile, on purpose: each statement below takes a new snapshot (READ
-- COMMITTED). The watermark is read first, the rows after it, so every row
-- stamped before the watermark has committed before the rows' snapshot. A
-- stable function would read the rows with the snapshot taken before the
-- watermark, and a transaction committing in between would be lost. Under
-- REPEATABLE READ the snapshot is fixed for the whole transaction: refused.
--
-- No `set search_path`: the filters must compare as PostgREST's own queries
-- do, with the operators of the caller's search path (PostgREST puts the
-- exposed schema and `extensions` on it: a citext column compares without
-- case only when extensions.= is found). The body schema-qualifies every
-- function and table it names, and it runs with the caller's rights anyway.
-- Key digests (digest_filters, optional): a live table drops rows the user
-- may no longer read (a membership changed under RLS) and adds rows they may
-- now read by comparing keys with the server, and a poll can check that for
-- free. For each filter of digest_filters (objects as in `filters`, {} for
-- the whole table) the answer's "digests" holds {"n", "a", "b"}: how many
-- rows of that filter the caller may read have a cursor < since (and a null
-- soft_delete_column, when one is given), and the sums modulo 2^32 of the
-- first and of the second 32-bit word of md5(key) over those rows. key is the
-- text the client keys its rows by: the value as JSON renders it for one key
-- column, ["v1","v2"] for several. Rows changed since the cursor are left out
-- on both sides (the client has them from this very answer), so the sums
-- match when the client holds exactly the same older rows; it reads the keys
-- only when they do not. Rows, tombstones and digests come from one
-- statement: one snapshot. Without since there are no digests (every row is
-- in the answer).
drop function if exists public.supasync_poll(text, text, text, text[], text, jsonb, integer);
drop function if exists public.supasync_poll(text, text, text, text[], text, jsonb, integer, jsonb, text);
create function public.supasync_poll(
  target_schema      text,
  target_table       text,
  cursor_column      text,
  key_columns        text[],
  since              text    default null,
  filters            jsonb   default null,
  page_size          integer default 1000,
  digest_filters     jsonb   default null,
  soft_delete_column text    default null)
returns json
language plpgsql
volatile
security invoker
as $$
declare
  target        regclass;
  target_name   text := pg_catalog.format('%I.%I', target_schema, target_table);
  column_types  jsonb;
  column_type   text;
  cursor_type   text;
  key_column    text;
  key_text      text;
  key_parts     text[] := '{}';
  ordering      text[] := '{}';
  conditions    text[] := '{}';
  alternatives  text[] := '{}';
  digest_where  text[] := '{}';
  digest_parts  text[] := '{}';
  clauses       text[];
  filter_values text[] := '{}';
  filter_count  integer := 0;
  alternative   jsonb;
  element_no    bigint;
  entry         record;
  poll_window   jsonb;
  changed       json;
  deleted       json;
  digested      json;
  digest_clause text;
begin
  if pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
    raise exception 'supasync_poll() must run in a READ COMMITTED transaction, not %', pg_catalog.current_setting('transaction_isolation')
      using errcode = '25001',
            hint = 'Its reads must see what committed before its watermark: call it outside REPEATABLE READ / SERIALIZABLE transactions (PostgREST does).';
  end if;
  if page_size is null or page_size < 1 or page_size > 10000 then
    raise exception 'supasync_poll(): page_size must be between 1 and 10000, got %', coalesce(page_size::text, 'null')
      using errcode = '22023';
  end if;
  target := pg_catalog.to_regclass(target_name);
  if target is null then
    raise exception 'relation "%.%" does not exist', target_schema, target_table
      using errcode = '42P01', hint = 'Check the table and schema options of the live table.';
  end if;
  if not exists (
    select 1 from pg_catalog.pg_trigger t
     where t.tgrelid = target
       and t.tgfoid in ('supasync.touch_updated_at()'::pg_catalog.regprocedure, 'supasync.record_tombstone()'::pg_catalog.regprocedure)) then
    raise exception 'supasync_poll() reads only tables set up for supasync polling; % has no supasync trigger', target_name
      using errcode = 'SSP01',
            hint = pg_catalog.format('Run select supasync.enable_polling(%L); until then polls of it take three requests.', target_name);
  end if;

  select pg_catalog.jsonb_object_agg(a.attname, pg_catalog.format_type(a.atttypid, null))
    into column_types
    from pg_catalog.pg_attribute a
   where a.attrelid = target and a.attnum > 0 and not a.attisdropped;

  -- The cursor (>= since, cast to its type like PostgREST's `gte`).
  cursor_type := column_types ->> cursor_column;
  if cursor_type is null then
    raise exception 'column %.% does not exist', target_name, cursor_column
      using errcode = '42703', hint = 'Check the cursor option of the live table.';
  end if;
  if since is not null then
    conditions := conditions || pg_catalog.format('%I >= ($1)::%s', cursor_column, cursor_type);
  end if;

  -- The order: key columns ascending, as the keyset pages of the client. The key text: as the client keys rows.
  if key_columns is null or pg_catalog.cardinality(key_columns) = 0 then
    raise exception 'supasync_poll(): key_columns must name the primary key columns, e.g. {id}'
      using errcode = '22023';
  end if;
  foreach key_column in array key_columns loop
    if key_column is null or not column_types ? key_column then
      raise exception 'column %.% does not exist', target_name, coalesce(key_column, 'null')
        using errcode = '42703', hint = 'Check the primaryKey option of the live table.';
    end if;
    ordering := ordering || pg_catalog.format('%I', key_column);
    -- Several columns: a JSON array of each value, a JSON string of its text for numbers and strings.
    key_parts := key_parts || pg_catalog.format(
      '(case when pg_catalog.jsonb_typeof(pg_catalog.to_jsonb(%1$I)) in (''string'', ''number'') then pg_catalog.to_jsonb(pg_catalog.to_jsonb(%1$I) #>> ''{}'') else pg_catalog.to_jsonb(%1$I) end)::text',
      key_column);
  end loop;
  if pg_catalog.cardinality(key_columns) = 1 then
    key_text := pg_catalog.format('pg_catalog.to_jsonb(%I) #>> ''{}''', key_columns[1]);
  else
    key_text := '''['' || ' || pg_catalog.array_to_string(key_parts, ' || '','' || ') || ' || '']''';
  end if;

  if filters is not null and pg_catalog.jsonb_typeof(filters) <> 'null' then
    if pg_catalog.jsonb_typeof(filters) <> 'array' or pg_catalog.jsonb_array_length(filters) = 0 then
      raise exception 'supasync_poll(): filters must be null (every row) or a non-empty JSON array of objects of column -> value, e.g. [{"project_id": "1"}]; got %', filters
        using errcode = '22023';
    end if;
    filter_count := pg_catalog.jsonb_array_length(filters);
  end if;
  if digest_filters is not null and pg_catalog.jsonb_typeof(digest_filters) <> 'null'
     and (pg_catalog.jsonb_typeof(digest_filters) <> 'array' or pg_catalog.jsonb_array_length(digest_filters) > 1000) then
    raise exception 'supasync_poll(): digest_filters must be null or a JSON array of at most 1000 objects of column -> value ({} for the whole table); got %', pg_catalog.left(digest_filters::text, 200)
      using errcode = '22023';
  end if;
  if soft_delete_column is not null and not column_types ? soft_delete_column then
    raise exception 'column %.% does not exist', target_name, soft_delete_column
      using errcode = '42703', hint = 'Check the softDeleteColumn option of the live table.';
  end if;

  -- The filters (alternatives ORed, each one's columns ANDed), then the digests' filters (one clause each).
  for alternative, element_no in
    select e.value, e.ordinality from pg_catalog.jsonb_array_elements(
      case when filter_count > 0 then filters else '[]'::jsonb end
      || case when pg_catalog.jsonb_typeof(digest_filters) = 'array' then digest_filters else '[]'::jsonb end) with ordinality e
  loop
    if pg_catalog.jsonb_typeof(alternative) <> 'object' then
      raise exception 'supasync_poll(): each filter must be an object of column -> value, e.g. {"project_id": "1"}; got %', alternative
        using errcode = '22023';
    end if;
    clauses := '{}';
    for entry in select e.key, e.value from pg_catalog.jsonb_each(alternative) e loop
      column_type := column_types ->> entry.key;
      if column_type is null then
        raise exception 'column %.% does not exist', target_name, entry.key
          using errcode = '42703', hint = 'Check the filter of the live table.';
      end if;
      case pg_catalog.jsonb_typeof(entry.value)
        when 'null' then
          clauses := clauses || pg_catalog.format('%I is null', entry.key);
        when 'boolean' then
          clauses := clauses || pg_catalog.format('%I is %s', entry.key, case when entry.value = 'true'::jsonb then 'true' else 'false' end);
        when 'string', 'number' then
          filter_values := filter_values || (entry.value #>> '{}');
          clauses := clauses || pg_catalog.format('%I = ($3[%s])::%s', entry.key, pg_catalog.cardinality(filter_values), column_type);
        else
          raise exception 'supasync_poll(): the filter value of % must be a string, number, boolean or null; got %', entry.key, entry.value
            using errcode = '22023';
      end case;
    end loop;
    if element_no > filter_count then
      digest_where := digest_where || case when pg_catalog.cardinality(clauses) = 0 then 'true' else pg_catalog.array_to_string(clauses, ' and ') end;
    elsif alternatives is not null then
      -- {} matches every row, and so does the union.
      if pg_catalog.cardinality(clauses) = 0 then
        alternatives := null;
      else
        alternatives := alternatives || ('(' || pg_catalog.array_to_string(clauses, ' and ') || ')');
      end if;
    end if;
  end loop;
  if filter_count > 0 and alternatives is not null then
    conditions := conditions || ('(' || pg_catalog.array_to_string(alternatives, ' or ') || ')');
  end if;

  -- One digest per digest filter, over the rows older than the cursor.
  if since is not null then
    foreach digest_clause in array digest_where loop
      digest_parts := digest_parts || pg_catalog.format(
        '(select pg_catalog.json_build_object(''n'', pg_catalog.count(*), '
        '''a'', coalesce(pg_catalog.sum((''x'' || pg_catalog.substr(d.h, 1, 8))::bit(32)::bigint), 0) %% 4294967296, '
        '''b'', coalesce(pg_catalog.sum((''x'' || pg_catalog.substr(d.h, 9, 8))::bit(32)::bigint), 0) %% 4294967296) '
        'from (select pg_catalog.md5(%s) h from %I.%I where %I < ($1)::%s and (%s)%s) d)',
        key_text, target_schema, target_table, cursor_column, cursor_type, digest_clause,
        case when soft_delete_column is null then '' else pg_catalog.format(' and %I is null', soft_delete_column) end);
    end loop;
  end if;

  -- First the watermark, then (one new snapshot) the rows, the tombstones and the digests.
  poll_window := public.supasync_watermark();

  execute pg_catalog.format(
    'select (select coalesce(pg_catalog.json_agg(t), ''[]''::json) from (select * from %I.%I%s order by %s limit $2) t), '
    '(select coalesce(pg_catalog.json_agg(t), ''[]''::json) from (select s.row_key, s.deleted_at from public.supasync_tombstones s '
    'where s.table_schema = $4 and s.table_name = $5%s order by s.row_key limit $2) t), %s',
    target_schema, target_table,
    case when pg_catalog.cardinality(conditions) > 0 then ' where ' || pg_catalog.array_to_string(conditions, ' and ') else '' end,
    pg_catalog.array_to_string(ordering, ', '),
    case when since is null then '' else ' and s.deleted_at >= ($1)::timestamptz' end,
    case when pg_catalog.cardinality(digest_parts) = 0 then 'null::json' else 'pg_catalog.json_build_array(' || pg_catalog.array_to_string(digest_parts, ', ') || ')' end)
    into changed, deleted, digested
    using since, page_size, filter_values, target_schema, target_table;

  return pg_catalog.json_build_object('window', poll_window, 'rows', changed, 'tombstones', deleted, 'digests', digested);
end
$$;
comment on function public.supasync_poll(text, text, text, text[], text, jsonb, integer, jsonb, text) is
  'One supasync poll in one request: {window: supasync_watermark(), rows: changed rows since the cursor (first page, key order), tombstones: since the cursor (first page), digests: key digests of digest_filters over the older rows}. security invoker: RLS applies.';
revoke all on function public.supasync_poll(text, text, text, text[], text, jsonb, integer, jsonb, text) from public, anon, authenticated;
grant execute on function public.supasync_poll(text, text, text, text[], text, jsonb, integer, jsonb, text) to anon, authenticated, service_role;
