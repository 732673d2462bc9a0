/**
 * postgres_changes `select` column lists, as supabase/realtime implements them: parse_select/1 and the wildcard
 * check in lib/extensions/postgres_cdc_rls/subscriptions.ex, the `invalid column for select` check of the
 * realtime.subscription_check_filters() trigger, and the per-selected_columns output rows of realtime.apply_rls.
 */
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { LocalStack } from '../src/index.js'
import { startTestStack } from './fixtures.js'
import { RawClient, waitFor } from './helpers.js'

/** A table whose `secret` column anon may not read (column-level grants), under REPLICA IDENTITY FULL. */
const SELECT_SCHEMA = `
create table public.profiles (id bigint primary key, name text, email text, secret text);
alter table public.profiles replica identity full;
revoke select on public.profiles from anon;
grant select (id, name, email) on public.profiles to anon;
alter publication supabase_realtime add table public.profiles;
`

let stack: LocalStack
const supabaseClients: SupabaseClient[] = []
const rawClients: RawClient[] = []

beforeAll(async () => {
  // startTestStack's own `sql` is replaced by ours, not appended to: pass the test schema too.
  stack = await startTestStack({ sql: [SELECT_SCHEMA] })
})
afterAll(async () => {
  await stack?.stop()
})
afterEach(async () => {
  for (const client of supabaseClients.splice(0)) await client.removeAllChannels()
  for (const client of rawClients.splice(0)) client.terminate()
})

function client(options: Record<string, unknown> = {}): SupabaseClient {
  const created = stack.createClient(options)
  supabaseClients.push(created)
  return created
}

interface Received {
  eventType: string
  new: Record<string, unknown>
  old: Record<string, unknown>
}

interface Binding {
  event: '*' | 'INSERT' | 'UPDATE' | 'DELETE'
  schema?: string
  table?: string
  filter?: string
  select?: unknown
}

/** Subscribes through supabase-js; resolves at "Subscribed to PostgreSQL" or the first system error. */
async function subscribeChanges(
  supabase: SupabaseClient,
  topic: string,
  bindings: Binding[],
): Promise<{ channel: RealtimeChannel; received: Received[][]; system: Record<string, unknown>[]; statuses: string[] }> {
  const received: Received[][] = bindings.map(() => [])
  const system: Record<string, unknown>[] = []
  const statuses: string[] = []
  let channel = supabase.channel(topic)
  bindings.forEach((binding, index) => {
    channel = channel.on('postgres_changes' as never, { schema: 'public', ...binding } as never, (payload: Received) => received[index]!.push(payload))
  })
  channel.on('system' as never, {} as never, (payload: Record<string, unknown>) => system.push(payload))
  channel.subscribe((status) => statuses.push(status))
  await waitFor(() => system.find((message) => message.message === 'Subscribed to PostgreSQL' || message.status === 'error'), 10_000, `${topic} subscription`)
  return { channel, received, system, statuses }
}

async function rawClient(key = stack.anonKey): Promise<RawClient> {
  const created = await RawClient.connect(stack.url, { apikey: key, vsn: '2.0.0' })
  rawClients.push(created)
  return created
}

/** Joins with the given postgres_changes bindings and waits for the join reply and the system message. */
async function rawJoin(client: RawClient, topic: string, bindings: Record<string, unknown>[]) {
  const ref = client.nextRef()
  client.sendJson([ref, ref, `realtime:${topic}`, 'phx_join', { config: { broadcast: { self: false, ack: false }, presence: { key: '', enabled: false }, postgres_changes: bindings, private: false } }])
  const reply = await client.waitArray((f) => f[3] === 'phx_reply' && f[1] === ref, 5000, `join reply for ${topic}`)
  const system = await client.waitArray((f) => f[3] === 'system' && f[2] === `realtime:${topic}`, 10_000, `system message for ${topic}`)
  const response = (reply[4] as { status: string; response: { postgres_changes: Record<string, unknown>[] } })
  expect(response.status).toBe('ok')
  return { echoed: response.response.postgres_changes, system: system[4] as Record<string, unknown> }
}

interface ChangeData {
  type: string
  columns: { name: string; type: string }[]
  record?: Record<string, unknown>
  old_record?: Record<string, unknown>
}

function changeFrames(client: RawClient, topic: string): { ids: number[]; data: ChangeData }[] {
  return client
    .arrays()
    .filter((f) => f[3] === 'postgres_changes' && f[2] === `realtime:${topic}`)
    .map((f) => f[4] as { ids: number[]; data: ChangeData })
}

const insertFailed = (table: string, select: string, exception: string, filters = '[]') =>
  `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [event: *, schema: public, table: ${table}, filters: ${filters}, select: ${select}]. Exception: ${exception}`

describe('postgres_changes select: payloads', () => {
  it('restricts new and old to the selected columns plus the primary key for INSERT, UPDATE and DELETE (supabase-js)', async () => {
    const { received, statuses } = await subscribeChanges(client(), 'sel-js', [{ event: '*', table: 'full_items', select: ['qty'] }])
    expect(statuses).toContain('SUBSCRIBED')
    await stack.query("insert into full_items values (101, 'pipe', 4)")
    await stack.query("update full_items set name = 'tube', qty = 5 where id = 101")
    await stack.query('delete from full_items where id = 101')
    const changes = await waitFor(() => received[0]!.length >= 3 && received[0]!, 5000, 'three changes')
    expect(changes.map(({ eventType, new: record, old }) => ({ eventType, new: record, old }))).toEqual([
      { eventType: 'INSERT', new: { id: 101, qty: 4 }, old: {} },
      // REPLICA IDENTITY FULL: the old row would carry name too, but it is not selected.
      { eventType: 'UPDATE', new: { id: 101, qty: 5 }, old: { id: 101, qty: 4 } },
      { eventType: 'DELETE', new: {}, old: { id: 101, qty: 5 } },
    ])
  })

  it('restricts columns, record and old_record on the wire, and keeps the key-only old_record of RLS deletes', async () => {
    const raw = await rawClient(stack.serviceRoleKey)
    const { system } = await rawJoin(raw, 'sel-wire', [
      { event: '*', schema: 'public', table: 'full_items', select: ['name'] },
      { event: 'DELETE', schema: 'public', table: 'secret_notes', select: ['body'] },
    ])
    expect(system).toMatchObject({ status: 'ok', message: 'Subscribed to PostgreSQL' })
    await stack.query("insert into full_items values (102, 'valve', 7)")
    await stack.query("update full_items set qty = 8 where id = 102")
    await stack.query('delete from full_items where id = 102')
    const { rows } = await stack.query<{ id: string }>("insert into secret_notes (owner, body) values (gen_random_uuid(), 'hidden') returning id")
    const noteId = Number(rows[0]!.id)
    await stack.query('delete from secret_notes where id = $1', [noteId])
    const frames = await waitFor(() => changeFrames(raw, 'sel-wire').length >= 4 && changeFrames(raw, 'sel-wire'), 5000, 'four changes')
    const idName = [
      { name: 'id', type: 'int8' },
      { name: 'name', type: 'text' },
    ]
    expect(frames.map(({ data }) => ({ type: data.type, columns: data.columns, record: data.record, old_record: data.old_record }))).toEqual([
      { type: 'INSERT', columns: idName, record: { id: 102, name: 'valve' }, old_record: undefined },
      { type: 'UPDATE', columns: idName, record: { id: 102, name: 'valve' }, old_record: { id: 102, name: 'valve' } },
      { type: 'DELETE', columns: idName, record: undefined, old_record: { id: 102, name: 'valve' } },
      {
        type: 'DELETE',
        columns: [
          { name: 'id', type: 'int8' },
          { name: 'body', type: 'text' },
        ],
        record: undefined,
        // RLS is enabled on secret_notes: even a selected column is cut from a DELETE's old_record.
        old_record: { id: noteId },
      },
    ])
  })

  it('treats an empty list, or a list without strings, as every column', async () => {
    const raw = await rawClient()
    const { echoed } = await rawJoin(raw, 'sel-empty', [
      { event: 'INSERT', schema: 'public', table: 'todos', select: [] },
      { event: 'UPDATE', schema: 'public', table: 'todos', select: [1, null] },
    ])
    expect(echoed.map((entry) => entry.select)).toEqual([[], [1, null]])
    const { rows } = await stack.query<{ id: string }>("insert into todos (title, priority) values ('everything', 2) returning id")
    await stack.query("update todos set priority = 3 where id = $1", [rows[0]!.id])
    const frames = await waitFor(() => changeFrames(raw, 'sel-empty').length >= 2 && changeFrames(raw, 'sel-empty'), 5000, 'insert and update')
    const allColumns = ['id', 'title', 'done', 'priority', 'owner', 'tags', 'meta', 'created_at']
    for (const { data } of frames) {
      expect(data.columns.map((column) => column.name)).toEqual(allColumns)
      expect(Object.keys(data.record!).sort()).toEqual([...allColumns].sort())
    }
    const js = await subscribeChanges(client(), 'sel-empty-js', [{ event: 'INSERT', table: 'todos', select: [] }])
    await stack.query("insert into todos (title) values ('all of it')")
    const [change] = await waitFor(() => js.received[0]!.length > 0 && js.received[0]!, 5000, 'insert')
    expect(Object.keys(change!.new).sort()).toEqual([...allColumns].sort())
  })

  it('sends one frame per distinct select to a channel whose bindings differ, each with the ids of its bindings', async () => {
    const raw = await rawClient()
    const bindings = [
      { event: '*', schema: 'public', table: 'full_items', select: ['name'] },
      { event: 'INSERT', schema: 'public', table: 'full_items', select: ['qty'] },
      { event: 'INSERT', schema: 'public', table: 'full_items' },
      // The same list with a filter: the same group as the second binding, so one frame names both.
      { event: 'INSERT', schema: 'public', table: 'full_items', filter: 'qty=gte.0', select: ['qty'] },
      // The key named explicitly: the same payload, but another selected_columns value, so its own frame.
      { event: 'INSERT', schema: 'public', table: 'full_items', select: ['qty', 'id'] },
    ]
    const { echoed } = await rawJoin(raw, 'sel-groups', bindings)
    const ids = echoed.map((entry) => entry.id as number)
    expect(new Set(ids).size).toBe(5)
    await stack.query("insert into full_items values (103, 'elbow', 2)")
    await waitFor(() => changeFrames(raw, 'sel-groups').length > 0, 5000, 'the insert')
    await stack.realtime.settled()
    const inserts = changeFrames(raw, 'sel-groups')
    // apply_rls orders its rows by the sorted selected_columns joined with ',', every column ('') first.
    expect(inserts.map(({ ids: frameIds, data }) => ({ ids: [...frameIds].sort(), record: data.record, columns: data.columns.map((column) => column.name) }))).toEqual([
      { ids: [ids[2]], record: { id: 103, name: 'elbow', qty: 2 }, columns: ['id', 'name', 'qty'] },
      { ids: [ids[4]], record: { id: 103, qty: 2 }, columns: ['id', 'qty'] },
      { ids: [ids[0]], record: { id: 103, name: 'elbow' }, columns: ['id', 'name'] },
      { ids: [ids[1], ids[3]].sort(), record: { id: 103, qty: 2 }, columns: ['id', 'qty'] },
    ])
    await stack.query("update full_items set qty = 3 where id = 103")
    await waitFor(() => changeFrames(raw, 'sel-groups').length > 4, 5000, 'the update')
    await stack.realtime.settled()
    const updates = changeFrames(raw, 'sel-groups').slice(4)
    expect(updates).toHaveLength(1)
    expect(updates[0]).toMatchObject({ ids: [ids[0]], data: { type: 'UPDATE', record: { id: 103, name: 'elbow' }, old_record: { id: 103, name: 'elbow' } } })
  })

  it('gives each supabase-js callback the columns its own binding selected', async () => {
    const { received } = await subscribeChanges(client(), 'sel-two-js', [
      { event: 'INSERT', table: 'full_items', select: ['name'] },
      { event: 'INSERT', table: 'full_items', select: ['qty'] },
    ])
    await stack.query("insert into full_items values (104, 'tee', 9)")
    await waitFor(() => received[0]!.length > 0 && received[1]!.length > 0, 5000, 'both callbacks')
    await stack.realtime.settled()
    expect(received[0]!.map((change) => change.new)).toEqual([{ id: 104, name: 'tee' }])
    expect(received[1]!.map((change) => change.new)).toEqual([{ id: 104, qty: 9 }])
  })
})

describe('postgres_changes select: join reply and errors', () => {
  it('echoes select in the join reply, with an id computed over it', async () => {
    const raw = await rawClient()
    const withSelect = { event: 'INSERT', schema: 'public', table: 'todos', select: ['title', 'done'] }
    const without = { event: 'INSERT', schema: 'public', table: 'todos' }
    const { echoed, system } = await rawJoin(raw, 'sel-echo', [withSelect, without])
    expect(system).toMatchObject({ status: 'ok' })
    expect(echoed.map(({ id: _id, ...rest }) => rest)).toEqual([withSelect, without])
    expect(Number.isInteger(echoed[0]!.id)).toBe(true)
    expect(echoed[0]!.id).not.toBe(echoed[1]!.id)
    const again = await rawJoin(raw, 'sel-echo-2', [{ ...withSelect, select: ['title'] }])
    expect(again.echoed[0]!.id).not.toBe(echoed[0]!.id)
    // supabase-js 2.109 matches the echo against its bindings and reports SUBSCRIBED.
    const js = await subscribeChanges(client(), 'sel-echo-js', [{ event: 'INSERT', table: 'todos', select: ['title'] }])
    await waitFor(() => js.statuses.includes('SUBSCRIBED'), 5000, 'SUBSCRIBED')
    expect(js.system[0]).toMatchObject({ status: 'ok', message: 'Subscribed to PostgreSQL' })
  })

  it('refuses a string select with the server text, before any other check', async () => {
    const { system, statuses } = await subscribeChanges(client(), 'sel-string', [{ event: '*', table: 'todos', select: 'id,title' }])
    expect(statuses).toContain('SUBSCRIBED')
    expect(system).toEqual([
      {
        extension: 'postgres_changes',
        status: 'error',
        channel: 'sel-string',
        message: 'Error parsing `select` params: expected a list of column name strings, e.g. select: ["col1", "col2"]',
      },
    ])
    // parse_select/1 runs before the schema/table and filter checks.
    const raw = await rawClient()
    const { system: rawSystem } = await rawJoin(raw, 'sel-string-raw', [{ event: '*', filter: 'nope', select: '' }])
    expect(rawSystem.message).toBe('Error parsing `select` params: expected a list of column name strings, e.g. select: ["col1", "col2"]')
  })

  it('refuses select on a wildcard table, whether implied by a schema-only binding or explicit', async () => {
    const message = 'Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.'
    const implied = await subscribeChanges(client(), 'sel-wild', [{ event: '*', schema: 'public', select: ['id'] } as Binding])
    expect(implied.system).toEqual([{ extension: 'postgres_changes', status: 'error', channel: 'sel-wild', message }])
    const explicit = await subscribeChanges(client(), 'sel-wild-2', [{ event: 'INSERT', table: '*', select: ['id'] }])
    expect(explicit.system[0]).toMatchObject({ status: 'error', message })
    // Without a select the same wildcard binding is fine.
    const plain = await subscribeChanges(client(), 'sel-wild-3', [{ event: 'INSERT', table: '*', select: [] }])
    expect(plain.system[0]).toMatchObject({ status: 'ok', message: 'Subscribed to PostgreSQL' })
  })

  it('refuses an unknown column with the subscription-insert failure text', async () => {
    const { system, statuses } = await subscribeChanges(client(), 'sel-unknown', [{ event: '*', table: 'todos', select: ['title', 'nonexistent_column'] }])
    expect(statuses).toContain('SUBSCRIBED')
    expect(system).toEqual([
      {
        extension: 'postgres_changes',
        status: 'error',
        channel: 'sel-unknown',
        message: insertFailed('todos', '["title", "nonexistent_column"]', 'ERROR P0001 (raise_exception) invalid column for select nonexistent_column'),
      },
    ])
  })

  it("refuses a column the subscriber's role may not select, and accepts it for a role that may", async () => {
    const anon = await subscribeChanges(client(), 'sel-revoked', [{ event: '*', table: 'profiles', select: ['name', 'secret'] }])
    expect(anon.system[0]).toMatchObject({
      extension: 'postgres_changes',
      status: 'error',
      message: insertFailed('profiles', '["name", "secret"]', 'ERROR P0001 (raise_exception) invalid column for select secret'),
    })
    const readable = await subscribeChanges(client(), 'sel-granted', [{ event: '*', table: 'profiles', select: ['name', 'email'] }])
    expect(readable.system[0]).toMatchObject({ status: 'ok', message: 'Subscribed to PostgreSQL' })
    const service = await subscribeChanges(client({ key: stack.serviceRoleKey }), 'sel-service', [{ event: 'INSERT', table: 'profiles', select: ['secret'] }])
    expect(service.system[0]).toMatchObject({ status: 'ok', message: 'Subscribed to PostgreSQL' })
    await stack.query("insert into profiles values (1, 'ann', 'ann@example.com', 's3cret')")
    await waitFor(() => readable.received[0]!.length > 0 && service.received[0]!.length > 0, 5000, 'profile insert')
    expect(readable.received[0]![0]!.new).toEqual({ id: 1, name: 'ann', email: 'ann@example.com' })
    expect(service.received[0]![0]!.new).toEqual({ id: 1, secret: 's3cret' })
  })

  it('checks filters before the select list, and reports the last failing binding of the channel', async () => {
    const raw = await rawClient()
    const filterFirst = await rawJoin(raw, 'sel-order', [{ event: '*', schema: 'public', table: 'todos', filter: 'nope=eq.1', select: ['alsonope'] }])
    expect(filterFirst.system.message).toBe(
      insertFailed('todos', '["alsonope"]', 'ERROR P0001 (raise_exception) invalid column for filter nope', '[{"nope", "eq", "1", false}]'),
    )
    // The bindings are inserted in reverse join order in one transaction: the last invalid one is reported.
    const lastWins = await rawJoin(raw, 'sel-order-2', [
      { event: '*', schema: 'public', table: 'todos', select: ['first_bad'] },
      { event: '*', schema: 'public', table: 'todos', select: ['second_bad', 7] },
    ])
    expect(lastWins.system.message).toBe(insertFailed('todos', '["second_bad"]', 'ERROR P0001 (raise_exception) invalid column for select second_bad'))
  })
})
