-- demo-seed.sql — demo data for examples/demo-schema.sql.
--
-- Fixed demo users (put one of these in the JWT "sub" claim, role
-- "authenticated", to see their rows):
--
--   Alice  a11ce000-0000-4000-8000-000000000001  alice@example.com
--          member of projects 1, 2 and 3 -> sees 100,320 components
--   Bob    b0b00000-0000-4000-8000-000000000002  bob@example.com
--          member of projects 2 and 3  -> sees 100,020 components;
--          also the wedding photographer (vendors.user_id)
--
--   anon (no sub)                      -> 0 components; the wedding, its
--                                         4 vendors and 8 timeline items
--
-- Contents: project 1 with 300 components, project 2 with 20, project 3 with 100,000, 1 wedding, 4 vendors (with logins), 8 timeline
-- items. All ids are fixed and every insert is ON CONFLICT DO NOTHING, so the
-- seed can be run twice. Run as the superuser (RLS does not apply to it).

-- ---- users --------------------------------------------------------------
insert into auth.users (id, email, raw_user_meta_data) values
  ('a11ce000-0000-4000-8000-000000000001', 'alice@example.com', '{"name": "Alice (site lead)"}'),
  ('b0b00000-0000-4000-8000-000000000002', 'bob@example.com',   '{"name": "Bob (field engineer, photographer)"}')
on conflict (id) do nothing;

-- ---- A. construction ----------------------------------------------------
insert into public.projects (id, name) values
  (1, 'North Refinery Revamp'),
  (2, 'Harbor LNG Module 7'),
  (3, 'Delta Pipeline Megasite')
on conflict (id) do nothing;
-- Explicit ids bypassed the identity sequence; move it past them.
do $$ begin
  perform setval(pg_get_serial_sequence('public.projects', 'id'),
                 (select max(id) from public.projects));
end $$;

insert into public.project_members (project_id, user_id) values
  (1, 'a11ce000-0000-4000-8000-000000000001'),
  (2, 'a11ce000-0000-4000-8000-000000000001'),
  (2, 'b0b00000-0000-4000-8000-000000000002'),
  (3, 'a11ce000-0000-4000-8000-000000000001'),
  (3, 'b0b00000-0000-4000-8000-000000000002')
on conflict do nothing;

-- 20 components per project: tags P-1001.. (spools), V-.. (valves),
-- S-.. (supports), I-.. (instruments); milestones spread over all 7 values;
-- updated_at spread over the last few hours, newest first by n. With
-- supasync-polling.sql loaded, its trigger owns updated_at: it is paused
-- for this backfill (see packages/polling/sql/README.md, "Seeds").
do $$
begin
  if exists (select 1 from pg_catalog.pg_trigger
             where tgname = 'supasync_touch_updated_at' and tgrelid = 'public.components'::regclass) then
    alter table public.components disable trigger supasync_touch_updated_at;
  end if;
end
$$;
insert into public.components
  (id, project_id, tag, kind, milestone, status, assigned_to, updated_at, updated_by)
select
  -- deterministic ids: ...-00p0000000nn
  ('c0000000-0000-4000-8000-' || lpad((p * 1000 + n)::text, 12, '0'))::uuid,
  p,
  k.prefix || '-' || (p * 1000 + n),
  k.kind,
  (array['not_started', 'fabricated', 'delivered', 'installed',
         'welded', 'tested', 'done'])[1 + (n + p) % 7],
  case when n % 9 = 0 then 'on_hold' when n % 7 = 0 then 'rework' else 'ok' end,
  case when n % 3 = 0 then null
       when p = 1 then 'a11ce000-0000-4000-8000-000000000001'::uuid
       else 'b0b00000-0000-4000-8000-000000000002'::uuid end,
  now() - make_interval(mins => n * 11),
  case when p = 1 then 'a11ce000-0000-4000-8000-000000000001'::uuid
       else 'b0b00000-0000-4000-8000-000000000002'::uuid end
from generate_series(1, 2) as p,
     generate_series(1, 20) as n,
     lateral (select case
                when n <= 12 then 'P'
                when n <= 15 then 'V'
                when n <= 18 then 'S'
                else 'I' end as prefix,
              case
                when n <= 12 then 'pipe_spool'
                when n <= 15 then 'valve'
                when n <= 18 then 'support'
                else 'instrument' end as kind) as k
on conflict do nothing;
-- Project 1 has 300 components in all; project 3 is the big one: 100,000 (the foreman's phone finds one among them).
insert into public.components
  (id, project_id, tag, kind, milestone, status, assigned_to, updated_at, updated_by)
select
  ('c000000' || p || '-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid,
  p,
  (array['P', 'V', 'S', 'I'])[1 + n % 4] || '-' || (p * 1000 + n),
  (array['pipe_spool', 'valve', 'support', 'instrument'])[1 + n % 4],
  (array['not_started', 'fabricated', 'delivered', 'installed', 'welded', 'tested', 'done'])[1 + n % 7],
  'ok',
  null,
  now() - make_interval(mins => 300 + n % 1000),
  'a11ce000-0000-4000-8000-000000000001'::uuid
from (values (1, 21, 300), (3, 1, 100000)) as sizes (p, first, last),
     generate_series(first, last) as n
on conflict do nothing;
do $$
begin
  if exists (select 1 from pg_catalog.pg_trigger
             where tgname = 'supasync_touch_updated_at' and tgrelid = 'public.components'::regclass) then
    alter table public.components enable trigger supasync_touch_updated_at;
  end if;
end
$$;

-- ---- B. wedding ---------------------------------------------------------
insert into public.weddings (id, couple, date) values
  (1, 'Maya & Jonas', '2027-06-19')
on conflict (id) do nothing;
do $$ begin
  perform setval(pg_get_serial_sequence('public.weddings', 'id'),
                 (select max(id) from public.weddings));
end $$;

-- The other vendors' logins (the example app signs in as a vendor by role: ?vendor=venue|photographer|caterer|florist).
insert into auth.users (id, email, raw_user_meta_data) values
  ('00000000-0000-4000-8000-0000000000c1', 'venue@example.com',   '{"name": "Lindenhof Estate"}'),
  ('00000000-0000-4000-8000-0000000000c3', 'caterer@example.com', '{"name": "Golden Fork Catering"}'),
  ('00000000-0000-4000-8000-0000000000c4', 'florist@example.com', '{"name": "Petal & Stem"}')
on conflict (id) do nothing;

insert into public.vendors (id, wedding_id, name, role, user_id) values
  ('00000000-0000-4000-8000-00000000a001', 1, 'Lindenhof Estate',      'venue',        '00000000-0000-4000-8000-0000000000c1'),
  ('00000000-0000-4000-8000-00000000a002', 1, 'Bob Lens Photography',  'photographer', 'b0b00000-0000-4000-8000-000000000002'),
  ('00000000-0000-4000-8000-00000000a003', 1, 'Golden Fork Catering',  'caterer',      '00000000-0000-4000-8000-0000000000c3'),
  ('00000000-0000-4000-8000-00000000a004', 1, 'Petal & Stem',          'florist',      '00000000-0000-4000-8000-0000000000c4')
on conflict (id) do nothing;

insert into public.timeline_items (id, wedding_id, starts_at, title, vendor_id, status, notes) values
  ('00000000-0000-4000-8000-00000000b001', 1, '2027-06-19 09:00+02', 'Venue setup',            '00000000-0000-4000-8000-00000000a001', 'done',        'Chairs for 120, arch on the lawn'),
  ('00000000-0000-4000-8000-00000000b002', 1, '2027-06-19 10:30+02', 'Flowers delivered',      '00000000-0000-4000-8000-00000000a004', 'done',        null),
  ('00000000-0000-4000-8000-00000000b003', 1, '2027-06-19 12:00+02', 'Getting-ready photos',   '00000000-0000-4000-8000-00000000a002', 'in_progress', 'Bridal suite, 2nd floor'),
  ('00000000-0000-4000-8000-00000000b004', 1, '2027-06-19 14:00+02', 'Ceremony',               '00000000-0000-4000-8000-00000000a001', 'planned',     null),
  ('00000000-0000-4000-8000-00000000b005', 1, '2027-06-19 15:00+02', 'Group photos',           '00000000-0000-4000-8000-00000000a002', 'planned',     'Family list from the couple'),
  ('00000000-0000-4000-8000-00000000b006', 1, '2027-06-19 15:30+02', 'Cocktail hour',          '00000000-0000-4000-8000-00000000a003', 'late',        'Ice delivery delayed'),
  ('00000000-0000-4000-8000-00000000b007', 1, '2027-06-19 18:00+02', 'Dinner service',         '00000000-0000-4000-8000-00000000a003', 'planned',     '3 vegan, 2 gluten-free'),
  ('00000000-0000-4000-8000-00000000b008', 1, '2027-06-19 21:00+02', 'First dance',            null,                                   'planned',     'No DJ booked yet')
on conflict (id) do nothing;
