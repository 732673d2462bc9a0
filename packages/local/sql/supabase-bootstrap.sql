-- supabase-bootstrap.sql
--
-- Makes a plain, freshly initdb'd Postgres look enough like a hosted Supabase
-- database that migrations written for Supabase run unchanged:
--
--   * API roles: anon, authenticated, service_role, and the PostgREST login
--     role authenticator (member of all three);
--   * schema auth with auth.uid(), auth.role(), auth.email(), auth.jwt() and a
--     minimal auth.users table (so `references auth.users` works);
--   * schema extensions with pgcrypto and uuid-ossp (when the build has them);
--   * Supabase's grants and default privileges on schema public;
--   * the (empty) publication supabase_realtime;
--   * the schema realtime (its objects: realtime-schema.sql);
--   * event triggers that tell PostgREST to reload its schema cache after DDL.
--
-- Must run as a superuser (BYPASSRLS, publications and event triggers need it),
-- once, before the app's migrations. It is idempotent: running it again changes
-- nothing (and never resets a password set on authenticator afterwards).
--
-- What it deliberately does NOT create: supabase_admin / supabase_auth_admin /
-- dashboard_user and the other internal roles, the storage schema, GoTrue's
-- other auth tables, pg_net / pg_cron / pgjwt, per-role statement timeouts.

do $$
begin
  if not (select rolsuper from pg_roles where rolname = current_user) then
    raise exception 'supabase-bootstrap.sql must be run by a superuser (current_user = %)', current_user;
  end if;
end
$$;

-- ---------------------------------------------------------------------------
-- 1. Roles
-- ---------------------------------------------------------------------------
-- Same shape as Supabase: the three API roles cannot log in and do not inherit
-- (PostgREST switches to them with SET ROLE); service_role bypasses RLS.
-- authenticator is the only one that logs in. It is created WITHOUT a password:
-- the stack connects it over trust/local auth, or sets one afterwards with
-- ALTER ROLE authenticator PASSWORD '...'. Re-running this file keeps it.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
end
$$;

-- Enforce the attributes even if a role already existed with other ones.
-- (ALTER ROLE without PASSWORD leaves any existing password alone.)
alter role anon          nologin noinherit;
alter role authenticated nologin noinherit;
alter role service_role  nologin noinherit bypassrls;
alter role authenticator login   noinherit;

-- authenticator may SET ROLE to each API role. Re-granting only emits a NOTICE.
grant anon, authenticated, service_role to authenticator;

-- ---------------------------------------------------------------------------
-- 2. Schemas
-- ---------------------------------------------------------------------------
create schema if not exists extensions;
create schema if not exists auth;
create schema if not exists realtime;  -- filled by realtime-schema.sql

grant usage on schema public     to anon, authenticated, service_role;
grant usage on schema extensions to anon, authenticated, service_role;
grant usage on schema auth       to anon, authenticated, service_role;
grant usage on schema realtime   to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- 3. Extensions (in schema extensions, as on Supabase)
-- ---------------------------------------------------------------------------
-- gen_random_uuid() is built in since PG13 (pg_catalog), so it works anyway.
-- Extensions missing from this Postgres build are skipped with a NOTICE.
do $$
declare
  ext text;
begin
  foreach ext in array array['pgcrypto', 'uuid-ossp'] loop
    if exists (select 1 from pg_available_extensions where name = ext) then
      execute format('create extension if not exists %I with schema extensions', ext);
    else
      raise notice 'supabase-bootstrap: extension % is not available in this build, skipped', ext;
    end if;
  end loop;
end
$$;

-- Supabase puts `extensions` on the migration role's search_path, so
-- migrations may call uuid_generate_v4(), gen_random_bytes(), crypt() ...
-- unqualified. ALTER ROLE covers later sessions; set_config covers the rest of
-- this session in case the migrations are run on the same connection.
do $$
begin
  execute format('alter role %I set search_path to "$user", public, extensions', current_user);
  perform set_config('search_path', '"$user", public, extensions', false);
end
$$;

-- ---------------------------------------------------------------------------
-- 4. auth schema: JWT helper functions + minimal auth.users
-- ---------------------------------------------------------------------------
-- PostgREST (>= 9) puts the verified JWT payload in the GUC request.jwt.claims
-- (a JSON text). Older versions set one GUC per claim (request.jwt.claim.sub,
-- ...); like Supabase's GoTrue we read the legacy form first, then the JSON.
-- All return NULL when there is no JWT (e.g. a plain superuser session).
-- `set search_path = ''` matches current Supabase (fully-qualified bodies).

create or replace function auth.uid()
returns uuid
language sql stable
set search_path = ''
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
  )::uuid
$$;

create or replace function auth.role()
returns text
language sql stable
set search_path = ''
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'
  )::text
$$;

create or replace function auth.email()
returns text
language sql stable
set search_path = ''
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email'
  )::text
$$;

create or replace function auth.jwt()
returns jsonb
language sql stable
set search_path = ''
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

comment on function auth.uid()   is 'sub claim of the request JWT as uuid (NULL without a JWT).';
comment on function auth.role()  is 'role claim of the request JWT.';
comment on function auth.email() is 'email claim of the request JWT.';
comment on function auth.jwt()   is 'The whole request JWT payload as jsonb.';

-- A small subset of GoTrue's auth.users: enough for foreign keys and for the
-- usual "on auth.users insert -> create profile" triggers (id, email, phone,
-- raw_user_meta_data, raw_app_meta_data, timestamps). There is no GoTrue in
-- this stack: tests/seeds insert users here directly and sign JWTs themselves.
create table if not exists auth.users (
  id                 uuid primary key default gen_random_uuid(),
  email              text unique,
  phone              text,
  raw_app_meta_data  jsonb,
  raw_user_meta_data jsonb,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now()
);
comment on table auth.users is 'Minimal stand-in for GoTrue''s auth.users (supasync local stack).';

-- As on Supabase: RLS on, no grants to the API roles, so auth.users is not
-- readable through PostgREST. Foreign keys from public tables still work,
-- because referential-integrity checks run as the referenced table's owner.
alter table auth.users enable row level security;

-- ---------------------------------------------------------------------------
-- 5. Default privileges in public (Supabase's "everything is granted, RLS
--    decides" model)
-- ---------------------------------------------------------------------------
-- ALTER DEFAULT PRIVILEGES without FOR ROLE applies to objects later created
-- by the role running this file, i.e. the role that runs the migrations.
-- If migrations are run by a different role, repeat these for that role.
alter default privileges in schema public grant all on tables    to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
-- Deliberately no `grant ... on all tables in schema public`: the database is
-- fresh, and on a re-run that would undo REVOKEs made by later migrations.

-- ---------------------------------------------------------------------------
-- 6. Realtime publication (empty; apps run
--    `alter publication supabase_realtime add table ...`)
-- ---------------------------------------------------------------------------
do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$$;

-- ---------------------------------------------------------------------------
-- 7. PostgREST schema-cache reload on DDL (Supabase images ship the same idea
--    as extensions.pgrst_ddl_watch / pgrst_drop_watch). Lets tests create or
--    alter tables while PostgREST is running. Temp-object DDL is ignored.
--    NOTIFY is transactional: PostgREST hears it only when the DDL commits.
-- ---------------------------------------------------------------------------
create or replace function extensions.pgrst_ddl_watch()
returns event_trigger
language plpgsql
as $$
begin
  if exists (
    select 1
    from pg_event_trigger_ddl_commands() as cmd
    where cmd.schema_name is null
       or cmd.schema_name not like 'pg\_temp%'
  ) then
    perform pg_notify('pgrst', 'reload schema');
  end if;
end
$$;

create or replace function extensions.pgrst_drop_watch()
returns event_trigger
language plpgsql
as $$
begin
  if exists (
    select 1
    from pg_event_trigger_dropped_objects() as obj
    where not obj.is_temporary
  ) then
    perform pg_notify('pgrst', 'reload schema');
  end if;
end
$$;

do $$
begin
  if not exists (select 1 from pg_event_trigger where evtname = 'pgrst_ddl_watch') then
    create event trigger pgrst_ddl_watch on ddl_command_end
      execute function extensions.pgrst_ddl_watch();
  end if;
  if not exists (select 1 from pg_event_trigger where evtname = 'pgrst_drop_watch') then
    create event trigger pgrst_drop_watch on sql_drop
      execute function extensions.pgrst_drop_watch();
  end if;
end
$$;
