-- realtime-schema.sql
--
-- The `realtime` schema objects that the Supabase Realtime server creates in a
-- project database, so that migrations written for hosted Supabase (policies
-- on realtime.messages, triggers calling realtime.broadcast_changes) load and
-- behave unchanged. Facts from supabase/realtime (main, 2.129.8):
--   priv/repo/tenant_schema/realtime/tables/messages.sql
--   priv/repo/tenant_schema/realtime/functions/{topic,send,send_binary,broadcast_changes}.sql
--   lib/realtime/tenants/repo/migrations/20260714120000_add_broadcast_storage.ex (skip_broadcast)
-- The definitions below are written for this stack from those facts.
--
-- Daily partitions (messages_YYYY_MM_DD, yesterday to today+3) are created and
-- expired by the stack's Realtime server at start and every hour, as the real
-- server does at tenant connect and in its janitor (messagesPartitions.ts).
-- The publication supabase_realtime_messages_publication is created by the
-- Realtime server at start, as the real replication connection does.
--
-- Runs as a superuser after supabase-bootstrap.sql. Idempotent.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'supabase_realtime_admin') then
    create role supabase_realtime_admin nologin noinherit noreplication;
  end if;
end
$$;

grant usage on schema realtime to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- realtime.messages: Broadcast authorization (RLS policies are written by the
-- app), Broadcast from Database, and replay storage.
-- ---------------------------------------------------------------------------
create table if not exists realtime.messages (
  topic          text not null,
  extension      text not null,
  payload        jsonb,
  event          text,
  private        boolean default false,
  updated_at     timestamp without time zone not null default now(),
  inserted_at    timestamp without time zone not null default now(),
  id             uuid not null default gen_random_uuid(),
  binary_payload bytea,
  -- Rows stored for replay by `persist` are already broadcast; the database
  -- stream skips them (broadcast storage, realtime PR #2022).
  skip_broadcast boolean not null default false,
  constraint messages_pkey primary key (id, inserted_at),
  constraint messages_payload_exclusive check (payload is null or binary_payload is null) not valid
) partition by range (inserted_at);

alter table realtime.messages enable row level security;
alter table realtime.messages owner to supabase_realtime_admin;

-- The replay query's index: newest first per topic, private broadcasts only.
create index if not exists messages_inserted_at_topic_index
  on only realtime.messages using btree (inserted_at desc, topic)
  where extension = 'broadcast' and private is true;

grant select, insert, update on realtime.messages to postgres, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- realtime.topic(): the channel's sub-topic while policies run (the server
-- sets realtime.topic per check; realtime.send sets it per message).
-- ---------------------------------------------------------------------------
create or replace function realtime.topic()
returns text
language sql
stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text;
$$;
alter function realtime.topic() owner to supabase_realtime_admin;

-- ---------------------------------------------------------------------------
-- realtime.send(): one Broadcast from Database message. SECURITY INVOKER, so
-- the caller's INSERT policies on realtime.messages apply; any failure (no
-- policy, no partition) becomes a WARNING and the caller's statement goes on.
-- The payload gets the message id under "id" unless it already has one.
-- ---------------------------------------------------------------------------
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
declare
  generated_id uuid;
  final_payload jsonb;
begin
  begin
    generated_id := gen_random_uuid();
    if payload ? 'id' then
      final_payload := payload;
    else
      final_payload := jsonb_set(payload, '{id}', to_jsonb(generated_id));
    end if;
    execute format('set local realtime.topic to %L', topic);
    insert into realtime.messages (id, payload, event, topic, private, extension)
    values (generated_id, final_payload, event, topic, private, 'broadcast');
  exception
    when others then
      raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;
alter function realtime.send(jsonb, text, text, boolean) owner to supabase_realtime_admin;

-- realtime.send_binary(): the same for a bytea payload (no id is injected).
create or replace function realtime.send_binary(payload bytea, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
declare
  generated_id uuid;
begin
  begin
    generated_id := gen_random_uuid();
    execute format('set local realtime.topic to %L', topic);
    insert into realtime.messages (id, binary_payload, event, topic, private, extension)
    values (generated_id, payload, event, topic, private, 'broadcast');
  exception
    when others then
      raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;
alter function realtime.send_binary(bytea, text, text, boolean) owner to supabase_realtime_admin;

-- ---------------------------------------------------------------------------
-- realtime.broadcast_changes(): called from a row trigger; sends
-- {old_record, record, operation, table, schema} (plus the id that send adds)
-- as a private message.
-- ---------------------------------------------------------------------------
create or replace function realtime.broadcast_changes(
  topic_name text,
  event_name text,
  operation text,
  table_name text,
  table_schema text,
  new record,
  old record,
  level text default 'ROW'
)
returns void
language plpgsql
as $$
declare
  row_data jsonb := '{}'::jsonb;
begin
  if level = 'STATEMENT' then
    raise exception 'function can only be triggered for each row, not for each statement';
  end if;
  if operation = 'INSERT' or operation = 'UPDATE' or operation = 'DELETE' then
    row_data := jsonb_build_object('old_record', old, 'record', new, 'operation', operation, 'table', table_name, 'schema', table_schema);
    perform realtime.send(row_data, event_name, topic_name);
  else
    raise exception 'Unexpected operation type: %', operation;
  end if;
exception
  when others then
    raise exception 'Failed to process the row: %', sqlerrm;
end;
$$;
alter function realtime.broadcast_changes(text, text, text, text, text, record, record, text) owner to supabase_realtime_admin;
