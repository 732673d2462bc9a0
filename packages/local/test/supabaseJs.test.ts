import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js'
import { RealtimeClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { LocalStack } from '../src/index.js'
import { ALICE, BOB, startTestStack } from './fixtures.js'
import { waitFor } from './helpers.js'

let stack: LocalStack
const clients: SupabaseClient[] = []

beforeAll(async () => {
  stack = await startTestStack()
})
afterAll(async () => {
  await stack?.stop()
})
afterEach(async () => {
  await stack.faults.reset()
  for (const client of clients.splice(0)) await client.removeAllChannels()
})

function client(options: Record<string, unknown> = {}): SupabaseClient {
  const created = stack.createClient(options)
  clients.push(created)
  return created
}

/**
 * A client acting as a signed-in user. supabase-js 2.109 hands an `accessToken` callback's token to realtime-js
 * asynchronously, so a channel subscribed in the same tick joins with the anon key (and RLS then hides
 * everything): awaiting setAuth first is what a correct app (and @supasync/core) does.
 */
async function asUser(sub: string): Promise<SupabaseClient> {
  const token = stack.signJwt({ sub, role: 'authenticated' })
  const created = client({ accessToken: async () => token })
  await created.realtime.setAuth(token)
  return created
}

interface Received {
  eventType: string
  new: Record<string, unknown>
  old: Record<string, unknown>
  commit_timestamp: string
  table: string
  errors: unknown
}

/** Subscribes and resolves once the server said "Subscribed to PostgreSQL", so changes now flow. */
async function subscribeChanges(
  supabase: SupabaseClient,
  topic: string,
  bindings: { event: '*' | 'INSERT' | 'UPDATE' | 'DELETE'; table: string; filter?: string }[],
): Promise<{ channel: RealtimeChannel; received: Received[]; system: Record<string, unknown>[]; statuses: string[] }> {
  const received: Received[] = []
  const system: Record<string, unknown>[] = []
  const statuses: string[] = []
  let channel = supabase.channel(topic)
  for (const binding of bindings) {
    channel = channel.on('postgres_changes' as never, { schema: 'public', ...binding } as never, (payload: Received) => received.push(payload))
  }
  channel.on('system' as never, {} as never, (payload: Record<string, unknown>) => system.push(payload))
  channel.subscribe((status) => statuses.push(status))
  await waitFor(() => system.find((message) => message.message === 'Subscribed to PostgreSQL' || message.status === 'error'), 10_000, `${topic} subscription`)
  return { channel, received, system, statuses }
}

describe('postgres_changes through unmodified supabase-js', () => {
  it('delivers INSERT, UPDATE and DELETE with the real payload shape', async () => {
    const { received } = await subscribeChanges(client(), 'todos-all', [{ event: '*', table: 'todos' }])
    const { rows } = await stack.query<{ id: string }>("insert into todos (title, priority, tags, meta) values ('a', 3, '{x,y}', '{\"k\":1}') returning id")
    const id = Number(rows[0]!.id)
    await stack.query("update todos set title = 'b' where id = $1", [id])
    await stack.query('delete from todos where id = $1', [id])
    await waitFor(() => received.length >= 3, 5000, 'three changes')
    const [insert, update, remove] = received
    expect(insert).toMatchObject({ eventType: 'INSERT', table: 'todos', old: {}, errors: null })
    expect(insert!.new).toMatchObject({ id, title: 'a', done: false, priority: 3, tags: ['x', 'y'], meta: { k: 1 } })
    expect(insert!.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(update).toMatchObject({ eventType: 'UPDATE', old: { id } })
    expect(update!.new.title).toBe('b')
    // REPLICA IDENTITY DEFAULT: old_record is the primary key only.
    expect(Object.keys(update!.old)).toEqual(['id'])
    expect(remove).toMatchObject({ eventType: 'DELETE', new: {}, old: { id } })
  })

  it('sends the full old row under REPLICA IDENTITY FULL, but only the key for deletes on RLS tables', async () => {
    const service = client({ key: stack.serviceRoleKey })
    const full = await subscribeChanges(service, 'full', [{ event: '*', table: 'full_items' }])
    const notes = await subscribeChanges(service, 'notes', [{ event: 'DELETE', table: 'secret_notes' }])
    await stack.query("insert into full_items values (1, 'pipe', 4)")
    await stack.query('update full_items set qty = 5 where id = 1')
    const { rows } = await stack.query<{ id: string }>(`insert into secret_notes (owner, body) values ('${ALICE}', 'x') returning id`)
    await stack.query('delete from secret_notes where id = $1', [rows[0]!.id])
    await waitFor(() => full.received.length >= 2 && notes.received.length >= 1, 5000, 'changes')
    expect(full.received[1]!.old).toEqual({ id: 1, name: 'pipe', qty: 4 })
    expect(notes.received[0]!.old).toEqual({ id: Number(rows[0]!.id) })
  })

  it('loses changes committed between the join reply and "Subscribed to PostgreSQL", as the real server does', async () => {
    stack.realtime.limits.postgresSubscribeDelayMs = 400
    try {
      const supabase = client()
      const received: Received[] = []
      const system: unknown[] = []
      const channel = supabase
        .channel('gap')
        .on('postgres_changes' as never, { event: 'INSERT', schema: 'public', table: 'todos' } as never, (payload: Received) => received.push(payload))
        .on('system' as never, {} as never, (payload: unknown) => system.push(payload))
      let subscribed = false
      channel.subscribe((status) => (subscribed ||= status === 'SUBSCRIBED'))
      await waitFor(() => subscribed, 5000, 'SUBSCRIBED')
      await stack.query("insert into todos (title) values ('in the gap')")
      await waitFor(() => system.length > 0, 5000, 'Subscribed to PostgreSQL')
      await stack.query("insert into todos (title) values ('after')")
      await waitFor(() => received.length > 0, 5000, 'the second insert')
      await stack.realtime.settled()
      expect(received.map((change) => change.new.title)).toEqual(['after'])
    } finally {
      stack.realtime.limits.postgresSubscribeDelayMs = 0
    }
  })

  it('applies filters server-side and never matches a DELETE on a non-key column under DEFAULT identity', async () => {
    const { received } = await subscribeChanges(client(), 'filtered', [
      { event: '*', table: 'todos', filter: 'priority=gte.5' },
      { event: 'INSERT', table: 'todos', filter: 'title=in.(alpha,"beta, gamma")' },
    ])
    await stack.query("insert into todos (title, priority) values ('low', 1), ('high', 9), ('beta, gamma', 0)")
    await stack.query("delete from todos where title = 'high'")
    await stack.query("insert into todos (title, priority) values ('marker', 10)")
    await waitFor(() => received.some((change) => change.new.title === 'marker'), 5000, 'marker')
    expect(received.map((change) => `${change.eventType}:${change.new.title ?? change.old.id}`)).toEqual(['INSERT:high', 'INSERT:beta, gamma', 'INSERT:marker'])
  })

  it('reports an invalid filter as a postgres_changes system error with the server text', async () => {
    const { system } = await subscribeChanges(client(), 'badfilter', [{ event: '*', table: 'todos', filter: 'priority=foo.hey' }])
    expect(system[0]).toMatchObject({ extension: 'postgres_changes', status: 'error' })
    expect(system[0]!.message).toBe('Error parsing `filter` params: ["foo", "hey"]')
  })

  it('reports an unknown filter column with the exception text', async () => {
    const { system } = await subscribeChanges(client(), 'badcolumn', [{ event: '*', table: 'todos', filter: 'nope=eq.1' }])
    expect(system[0]!.message).toBe(
      'Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [event: *, schema: public, table: todos, filters: [{"nope", "eq", "1", false}], select: nil]. Exception: ERROR P0001 (raise_exception) invalid column for filter nope',
    )
  })

  it('fans one change out to every matching binding of a channel', async () => {
    const { received } = await subscribeChanges(client(), 'twice', [
      { event: 'INSERT', table: 'todos' },
      { event: '*', table: 'todos' },
    ])
    await stack.query("insert into todos (title) values ('once')")
    await waitFor(() => received.length >= 2, 5000, 'both callbacks')
    await stack.realtime.settled()
    expect(received.map((change) => change.new.title)).toEqual(['once', 'once'])
  })
})

describe('RLS visibility per subscriber', () => {
  it('sends each user only the rows their policies let them select', async () => {
    const alice = await subscribeChanges(await asUser(ALICE), 'alice-notes', [{ event: 'INSERT', table: 'secret_notes' }])
    const bob = await subscribeChanges(await asUser(BOB), 'bob-notes', [{ event: 'INSERT', table: 'secret_notes' }])
    const anon = await subscribeChanges(client(), 'anon-notes', [{ event: 'INSERT', table: 'secret_notes' }])
    const service = await subscribeChanges(client({ key: stack.serviceRoleKey }), 'service-notes', [{ event: 'INSERT', table: 'secret_notes' }])
    await stack.query(`insert into secret_notes (owner, body) values ('${ALICE}', 'for alice'), ('${BOB}', 'for bob')`)
    await waitFor(() => service.received.length >= 2 && alice.received.length >= 1 && bob.received.length >= 1, 5000, 'deliveries')
    await stack.realtime.settled()
    expect(alice.received.map((change) => change.new.body)).toEqual(['for alice'])
    expect(bob.received.map((change) => change.new.body)).toEqual(['for bob'])
    expect(anon.received).toEqual([])
    expect(service.received.map((change) => change.new.body)).toEqual(['for alice', 'for bob'])
  })

  it('enforces the same policies through PostgREST', async () => {
    await stack.query(`insert into secret_notes (owner, body) values ('${ALICE}', 'rest-a'), ('${BOB}', 'rest-b')`)
    const { data, error } = await (await asUser(BOB)).from('secret_notes').select('body').like('body', 'rest-%')
    expect(error).toBeNull()
    expect(data).toEqual([{ body: 'rest-b' }])
    const insert = await (await asUser(BOB)).from('secret_notes').insert({ owner: ALICE, body: 'forged' })
    expect(insert.error?.code).toBe('42501')
  })
})

describe('connection loss, token expiry and faults', () => {
  it('reports CLOSED when the token expires and does not rejoin', async () => {
    const token = stack.signJwt({ sub: ALICE, exp: Math.floor(Date.now() / 1000) + 2 })
    const supabase = client({ accessToken: async () => token })
    await supabase.realtime.setAuth(token)
    const { statuses, system } = await subscribeChanges(supabase, 'short-lived', [{ event: '*', table: 'todos' }])
    await waitFor(() => statuses.includes('CLOSED'), 6000, 'CLOSED')
    expect(system.find((message) => message.extension === 'system')).toMatchObject({ status: 'error', message: 'Token has expired 0 seconds ago' })
    expect(supabase.getChannels()).toHaveLength(0)
  })

  it('after dropConnections realtime-js reconnects and rejoins; changes in the gap are lost', async () => {
    const { received, statuses } = await subscribeChanges(client(), 'drop', [{ event: 'INSERT', table: 'todos' }])
    stack.faults.dropConnections()
    await waitFor(() => statuses.includes('CHANNEL_ERROR'), 5000, 'CHANNEL_ERROR')
    await stack.query("insert into todos (title) values ('while down')")
    await waitFor(() => statuses.filter((status) => status === 'SUBSCRIBED').length >= 2, 10_000, 'rejoin')
    await waitFor(() => stack.realtime.snapshot().changeSubscribers > 0 && stack.realtime.changeStats.delivered >= 0)
    // The rejoin's own subscription must be live before the next write counts.
    await new Promise((resolve) => setTimeout(resolve, 50))
    await stack.query("insert into todos (title) values ('after rejoin')")
    await waitFor(() => received.some((change) => change.new.title === 'after rejoin'), 5000, 'post-rejoin change')
    expect(received.map((change) => change.new.title)).toEqual(['after rejoin'])
  })

  it('a blackholed socket is noticed by the heartbeat, and service resumes once the fault clears', async () => {
    const heartbeats: string[] = []
    const supabase = client({ realtime: { heartbeatIntervalMs: 300, heartbeatCallback: (status: string) => heartbeats.push(status) } })
    const { received, statuses } = await subscribeChanges(supabase, 'blackhole', [{ event: 'INSERT', table: 'todos' }])
    stack.faults.blackholeHeartbeats(true)
    await stack.query("insert into todos (title) values ('unseen')")
    await waitFor(() => heartbeats.includes('timeout'), 5000, 'heartbeat timeout')
    stack.faults.blackholeHeartbeats(false)
    await waitFor(() => statuses.filter((status) => status === 'SUBSCRIBED').length >= 2, 10_000, 'rejoin')
    await waitFor(() => stack.realtime.snapshot().changeSubscribers > 0)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await stack.query("insert into todos (title) values ('seen')")
    await waitFor(() => received.some((change) => change.new.title === 'seen'), 5000, 'delivery after recovery')
    expect(received.map((change) => change.new.title)).toEqual(['seen'])
  })

  it('dropChanges loses exactly the configured share of deliveries', async () => {
    const { received } = await subscribeChanges(client(), 'lossy', [{ event: 'INSERT', table: 'todos' }])
    stack.faults.dropChanges(1)
    const droppedBefore = stack.realtime.changeStats.dropped
    await stack.query("insert into todos (title) select 'lost ' || g from generate_series(1, 20) g")
    // The ratio is read at delivery time: wait until these 20 were decided before changing it.
    await waitFor(() => stack.realtime.changeStats.dropped - droppedBefore >= 20, 5000, 'the 20 drops')
    stack.faults.dropChanges(0.5)
    const before = stack.realtime.changeStats
    const start = { delivered: before.delivered, dropped: before.dropped }
    await stack.query("insert into todos (title) select 'half ' || g from generate_series(1, 200) g")
    await waitFor(() => stack.realtime.changeStats.delivered + stack.realtime.changeStats.dropped - start.delivered - start.dropped >= 200, 5000)
    stack.faults.dropChanges(0)
    await stack.query("insert into todos (title) values ('end')")
    await waitFor(() => received.some((change) => change.new.title === 'end'), 5000)
    const lost = received.filter((change) => String(change.new.title).startsWith('lost'))
    const half = received.filter((change) => String(change.new.title).startsWith('half'))
    expect(lost).toHaveLength(0)
    expect(half.length).toBeGreaterThan(40)
    expect(half.length).toBeLessThan(160)
    expect(() => stack.faults.dropChanges(1.5)).toThrow(/between 0 and 1/)
  })

  it('stopRealtime cuts every socket and loses changes made while stopped; startRealtime brings rejoin', async () => {
    const { received, statuses } = await subscribeChanges(client(), 'restart', [{ event: 'INSERT', table: 'todos' }])
    await stack.faults.stopRealtime()
    expect(stack.realtime.snapshot().sockets).toBe(0)
    await stack.query("insert into todos (title) values ('during outage')")
    await stack.faults.startRealtime()
    await waitFor(() => statuses.filter((status) => status === 'SUBSCRIBED').length >= 2, 15_000, 'rejoin after restart')
    await waitFor(() => stack.realtime.snapshot().changeSubscribers > 0)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await stack.query("insert into todos (title) values ('after restart')")
    await waitFor(() => received.some((change) => change.new.title === 'after restart'), 5000)
    expect(received.map((change) => change.new.title)).toEqual(['after restart'])
  })
})

describe('REST faults', () => {
  it('failRest answers the next N requests with the status, then recovers', async () => {
    const get = () => fetch(`${stack.url}/rest/v1/todos?select=id&limit=1`, { headers: { apikey: stack.anonKey } }).then((response) => response.status)
    stack.faults.failRest({ status: 503, count: 2 })
    expect([await get(), await get(), await get()]).toEqual([503, 503, 200])
    // postgrest-js 2.109 retries a GET that got 503 by itself: one failure is invisible to the app.
    stack.faults.failRest({ status: 503, count: 1 })
    const retried = await client({ key: stack.serviceRoleKey }).from('todos').select('id').limit(1)
    expect(retried.status).toBe(200)
    expect(await get()).toBe(200)
    stack.faults.failRest({ status: 429, count: 1, retryAfterSeconds: 7 })
    const limited = await fetch(`${stack.url}/rest/v1/todos?select=id&limit=1`, { headers: { apikey: stack.anonKey } })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('7')
  })

  it('stopRest refuses connections until startRest', async () => {
    stack.faults.stopRest()
    await expect(fetch(`${stack.url}/rest/v1/todos?select=id`, { headers: { apikey: stack.anonKey } })).rejects.toThrow()
    stack.faults.startRest()
    const ok = await fetch(`${stack.url}/rest/v1/todos?select=id&limit=1`, { headers: { apikey: stack.anonKey } })
    expect(ok.status).toBe(200)
  })

  it('loseRestResponses commits the write but the client never hears back', async () => {
    const supabase = client({ key: stack.serviceRoleKey })
    stack.faults.loseRestResponses(1)
    const lost = await supabase.from('full_items').insert({ id: 4242, name: 'lost-response', qty: 1 })
    expect(lost.error).not.toBeNull()
    const { rows } = await stack.query('select name from full_items where id = 4242')
    expect(rows).toEqual([{ name: 'lost-response' }])
  })

  it('the gateway refuses REST calls without an apikey like Supabase\'s gateway', async () => {
    const response = await fetch(`${stack.url}/rest/v1/todos`)
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ message: 'No API key found in request' })
  })
})

describe('raw realtime-js with vsn 1.0.0', () => {
  it('joins, broadcasts and receives postgres_changes', async () => {
    const realtime = new RealtimeClient(`${stack.url.replace('http', 'ws')}/realtime/v1`, {
      params: { apikey: stack.anonKey },
      vsn: '1.0.0',
      transport: WebSocket as never,
    })
    try {
      const changes: Received[] = []
      const broadcasts: unknown[] = []
      const system: unknown[] = []
      const channel = realtime
        .channel('v1-room', { config: { broadcast: { self: true, ack: true } } })
        .on('postgres_changes' as never, { event: 'INSERT', schema: 'public', table: 'todos' } as never, (payload: Received) => changes.push(payload))
        .on('broadcast', { event: 'hello' }, (payload) => broadcasts.push(payload.payload))
        .on('system' as never, {} as never, (payload: unknown) => system.push(payload))
      channel.subscribe()
      await waitFor(() => system.length > 0, 5000, 'Subscribed to PostgreSQL over vsn 1')
      expect(await channel.send({ type: 'broadcast', event: 'hello', payload: { v: 1 } })).toBe('ok')
      await stack.query("insert into todos (title) values ('v1')")
      await waitFor(() => changes.length > 0 && broadcasts.length > 0, 5000)
      expect(broadcasts).toEqual([{ v: 1 }])
      expect(changes[0]!.new.title).toBe('v1')
    } finally {
      await realtime.removeAllChannels()
      realtime.disconnect()
    }
  })
})

describe('CORS for browsers', () => {
  it('a preflight allows every header supabase-js sends, including postgrest-js\'s X-Retry-Count on its retries', async () => {
    const response = await fetch(`${stack.url}/rest/v1/todos`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:5173', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'apikey, authorization, content-type, prefer, x-client-info, x-retry-count' },
    })
    expect(response.status).toBe(204)
    const allowed = (response.headers.get('access-control-allow-headers') ?? '').split(',').map((name) => name.trim())
    for (const name of ['apikey', 'authorization', 'content-type', 'prefer', 'x-client-info', 'x-retry-count']) expect(allowed).toContain(name)
    expect(response.headers.get('access-control-allow-methods')).toContain('PATCH')
  })
})
