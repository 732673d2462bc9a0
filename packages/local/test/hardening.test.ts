/**
 * Regressions from an adversarial review of issue #15 (private channels authorized by RLS on realtime.messages,
 * Broadcast from Database, replay, persist). Each test is named after the defect it reproduced on the reviewed code
 * (a crash, a private message reaching public subscribers, a hang, a difference from the real server, a leak) and
 * asserts what the real server (supabase/realtime 2.129.8, Phoenix fork) does instead; each failed before its fix.
 *
 * Crashes are caught with process-level listeners so that each shows up as a named failing test; in a plain Node
 * process (the CLI, an app's dev server) the same unhandled rejection or uncaught exception ends the process.
 *
 * Policy checks are held open deterministically with an advisory lock: `public.review_gate()` waits for a shared
 * lock on key 1515 that a test holds exclusively on its own connection, so nothing depends on sleeps.
 */
import net from 'node:net'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { LocalStack } from '../src/index.js'
import { ALICE, BOB, startTestStack } from './fixtures.js'
import { HOSTED_APP_SQL } from './fixtures/hostedApp.js'
import { RawClient, waitFor } from './helpers.js'

const GATE_KEY = 1515

/** Policies whose checks the tests can hold open: topics gated:* (read), gatedno:* (read, refused), slowwrite:* (write). */
const GATE_SQL = `
create function public.review_gate(allow boolean) returns boolean language plpgsql as $$
begin
  perform pg_advisory_xact_lock_shared(${GATE_KEY});
  return allow;
end $$;
grant execute on function public.review_gate(boolean) to anon, authenticated;
create policy "review gated read" on realtime.messages for select to authenticated
  using (realtime.topic() like 'gated:%' and public.review_gate(true));
create policy "review gated refusal" on realtime.messages for select to authenticated
  using (realtime.topic() like 'gatedno:%' and public.review_gate(false));
create policy "review slowwrite read" on realtime.messages for select to authenticated
  using (realtime.topic() like 'slowwrite:%');
create policy "review slowwrite write" on realtime.messages for insert to authenticated
  with check (realtime.topic() like 'slowwrite:%' and public.review_gate(true));
`

let stack: LocalStack
const raws: RawClient[] = []
const unhandled: unknown[] = []
const uncaught: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
const onUncaught = (error: unknown) => uncaught.push(error)

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled)
  process.on('uncaughtException', onUncaught)
  stack = await startTestStack({
    sql: [
      HOSTED_APP_SQL,
      GATE_SQL,
      `insert into rooms values ('r1', 'Site A');
       insert into room_members values ('r1', '${ALICE}', 'member'), ('r1', '${BOB}', 'viewer');`,
    ],
    // Long enough for a test to reset the TCP connection while a refused upgrade waits.
    realtime: { connectErrorDelayMs: 1000 },
  })
})
afterAll(async () => {
  await stack?.stop()
  process.off('unhandledRejection', onUnhandled)
  process.off('uncaughtException', onUncaught)
})
afterEach(() => {
  for (const raw of raws.splice(0)) raw.terminate()
})

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
const token = (sub: string, extra: Record<string, unknown> = {}) => stack.signJwt({ sub, role: 'authenticated', ...extra })

async function raw(target: LocalStack = stack, apikey = target.anonKey, vsn: '1.0.0' | '2.0.0' = '2.0.0'): Promise<RawClient> {
  const client = await RawClient.connect(target.url, { apikey, vsn })
  raws.push(client)
  return client
}

async function joined(client: RawClient, joinRef: string, topic: string, payload: Record<string, unknown>): Promise<unknown[]> {
  client.sendJson([joinRef, joinRef, topic, 'phx_join', payload])
  return client.waitArray((frame) => frame[1] === joinRef && frame[3] === 'phx_reply', 10_000, `the reply to join ${joinRef}`)
}

/** Holds the gate shut until release(). */
async function lockGate(target: LocalStack = stack): Promise<{ release: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: target.databaseUrl })
  client.on('error', () => undefined)
  await client.connect()
  await client.query('select pg_advisory_lock($1)', [GATE_KEY])
  let released = false
  return {
    release: async () => {
      if (released) return
      released = true
      await client.query('select pg_advisory_unlock($1)', [GATE_KEY]).catch(() => undefined)
      await client.end().catch(() => undefined)
    },
  }
}

async function gateWaiters(target: LocalStack = stack): Promise<number> {
  const { rows } = await target.query<{ n: number }>(
    `select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = ${GATE_KEY} and not granted`,
  )
  return rows[0]!.n
}

async function untilGateWaiters(count: number, target: LocalStack = stack): Promise<void> {
  const deadline = Date.now() + 10_000
  while ((await gateWaiters(target)) < count) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${count} policy checks to wait at the gate`)
    await sleep(20)
  }
}

/** Broadcast events a raw client received, from text frames and kind-4 binary frames alike. */
function broadcastEvents(client: RawClient): string[] {
  const events: string[] = []
  for (const frame of client.frames) {
    if (frame.binary && frame.bytes && frame.bytes[0] === 4) {
      const topicLength = frame.bytes[1]!
      const eventLength = frame.bytes[2]!
      events.push(frame.bytes.toString('utf8', 5 + topicLength, 5 + topicLength + eventLength))
    } else if (Array.isArray(frame.json) && frame.json[3] === 'broadcast') {
      events.push(String((frame.json[4] as { event?: unknown }).event))
    }
  }
  return events
}

/** A kind-3 client frame, as realtime-js encodes channel.send() on vsn 2.0.0 (lib/serializer.ts). */
function userBroadcastPush(joinRef: string, ref: string, topic: string, event: string, json: string): Buffer {
  const parts = [joinRef, ref, topic, event, ''].map((part) => Buffer.from(part, 'utf8'))
  return Buffer.concat([Buffer.from([3, ...parts.map((part) => part.length), 1]), ...parts, Buffer.from(json, 'utf8')])
}

describe('review #15: crashes (the stack process dies)', () => {
  it('crash: a client that resets its connection while a refused upgrade waits out the connect-error delay throws an uncaught ECONNRESET', async () => {
    const before = uncaught.length
    const pendingUpgrades = (stack.realtime as unknown as { pendingUpgrades: Set<unknown> }).pendingUpgrades
    const url = new URL(stack.url)
    const socket = net.connect(Number(url.port), url.hostname)
    socket.on('error', () => undefined)
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    socket.write(
      'GET /realtime/v1/websocket?apikey=not-a-jwt&vsn=2.0.0 HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    )
    await waitFor(() => pendingUpgrades.size === 1, 5000, 'the refusal to wait out its delay')
    socket.resetAndDestroy()
    await waitFor(() => pendingUpgrades.size === 0, 5000, 'the server to see the reset')
    // The upgrade socket has no 'error' listener (Node's HTTP server removes its own on upgrade).
    expect(uncaught.slice(before).map(String)).toEqual([])
  })

  it('crash + hang: POST /api/broadcast/:topic/events/:event with a malformed percent-escape never answers and rejects unhandled (URIError)', async () => {
    const before = unhandled.length
    const status = await fetch(`${stack.url}/realtime/v1/api/broadcast/%E0%A4%A/events/x`, {
      method: 'POST',
      headers: { apikey: stack.anonKey, 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(3000),
    }).then(
      (response) => response.status,
      (error: unknown) => `no response: ${String(error)}`,
    )
    expect(unhandled.slice(before).map(String)).toEqual([])
    // Plug answers a malformed path with 400 Bad Request (Plug.Router.MalformedURIError).
    expect(status).toBe(400)
  })

  it('crash: a public broadcast whose payload nests 100 000 levels deep rejects unhandled (RangeError) and is never acked', async () => {
    const before = unhandled.length
    const client = await raw()
    expect((await joined(client, '1', 'realtime:deep', { config: { broadcast: { ack: true } } }))[4]).toMatchObject({ status: 'ok' })
    const depth = 100_000
    client.sendRaw(`["1","2","realtime:deep","broadcast",{"type":"broadcast","event":"deep","payload":{"v":${'['.repeat(depth)}${']'.repeat(depth)}}}]`)
    client.sendJson([null, '3', 'phoenix', 'heartbeat', {}])
    await client.waitArray((frame) => frame[1] === '3', 5000, 'the heartbeat reply')
    expect(unhandled.slice(before).map(String)).toEqual([])
    // 200 kB is well under the payload limit; the real server (Jason on the BEAM) decodes, delivers and acks it.
    const ack = await client.waitArray((frame) => frame[1] === '2', 2000, 'the ack').catch(() => undefined)
    expect(ack).toBeDefined()
  })

  it('crash: Postgres ending the connection of an in-flight policy check (restartPostgres, pg_terminate_backend) throws an uncaught "Connection terminated unexpectedly"', async () => {
    const before = uncaught.length
    const gate = await lockGate()
    try {
      const client = await raw()
      client.sendJson(['1', '1', 'realtime:gated:crash', 'phx_join', { config: { private: true }, access_token: token(ALICE) }])
      await untilGateWaiters(1)
      await stack.query(`select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and objid = ${GATE_KEY} and not granted`)
      await client.waitArray((frame) => frame[1] === '1', 5000, 'the join reply')
      // The checked-out pg client has no 'error' listener (pg-pool removes its own while a client is checked out).
      expect(uncaught.slice(before).map(String)).toEqual([])
    } finally {
      await gate.release()
    }
  })
})

describe('review #15: private data reaching those without read access', () => {
  it('data leak: a REST batch message with private "true" (a string) goes to the public channel of that name', async () => {
    const outsider = await raw()
    await joined(outsider, '1', 'realtime:room:r1', { config: { private: false } })
    const member = await raw()
    expect((await joined(member, '1', 'realtime:room:r1', { config: { private: true }, access_token: token(ALICE) }))[4]).toMatchObject({ status: 'ok' })
    const response = await fetch(`${stack.url}/realtime/v1/api/broadcast`, {
      method: 'POST',
      headers: { apikey: stack.anonKey, authorization: `Bearer ${token(ALICE)}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        messages: [
          // Ecto casts "true" (and "1") to true for the batch schema's `field :private, :boolean` (batch_broadcast.ex).
          { topic: 'room:r1', event: 'secret', payload: { door_code: 4711 }, private: 'true' },
          { topic: 'room:r1', event: 'public-marker', payload: {} },
          { topic: 'room:r1', event: 'private-marker', payload: {}, private: true },
        ],
      }),
    })
    expect(response.status).toBe(202)
    await waitFor(() => broadcastEvents(outsider).includes('public-marker'), 5000, 'the public marker')
    await waitFor(() => broadcastEvents(member).includes('private-marker'), 5000, 'the private marker')
    expect(broadcastEvents(outsider)).not.toContain('secret')
    expect(broadcastEvents(member)).toContain('secret')
  })

  it('data leak: a kind-3 broadcast carrying the join_ref of a private channel the socket has since re-joined as public reaches the public subscribers', async () => {
    const outsider = await raw()
    await joined(outsider, '1', 'realtime:room:r1', { config: { private: false } })
    const member = await raw()
    expect((await joined(member, '1', 'realtime:room:r1', { config: { private: true }, access_token: token(ALICE) }))[4]).toMatchObject({ status: 'ok' })
    expect((await joined(member, '2', 'realtime:room:r1', { config: { private: false } }))[4]).toMatchObject({ status: 'ok' })
    // A push the client made on its private channel (join_ref 1), arriving after the re-join: the real transport
    // drops messages whose join_ref is not the channel's ("the client has sent a stale message", phoenix socket.ex).
    member.sendRaw(userBroadcastPush('1', '3', 'realtime:room:r1', 'meant-private', '{"door_code":4711}'), true)
    member.sendJson(['2', '4', 'realtime:room:r1', 'broadcast', { type: 'broadcast', event: 'public-marker', payload: {} }])
    await waitFor(() => broadcastEvents(outsider).includes('public-marker'), 5000, 'the public marker')
    expect(broadcastEvents(outsider)).not.toContain('meant-private')
  })
})

describe('review #15: hangs', () => {
  it('hang: eight private joins waiting on a policy hold every pool connection, and postgres_changes stop for every user', async () => {
    const subscriber = await raw()
    await joined(subscriber, '1', 'realtime:notes', {
      config: { postgres_changes: [{ event: 'INSERT', schema: 'public', table: 'secret_notes' }] },
      access_token: token(ALICE),
    })
    await subscriber.waitArray((frame) => frame[3] === 'system' && (frame[4] as { status?: string }).status === 'ok', 5000, 'Subscribed to PostgreSQL')
    const gate = await lockGate()
    try {
      for (let index = 0; index < 8; index++) {
        const client = await raw()
        client.sendJson(['1', '1', `realtime:gated:${index}`, 'phx_join', { config: { private: true }, access_token: token(ALICE) }])
      }
      await untilGateWaiters(8)
      await stack.query(`insert into public.secret_notes (owner, body) values ('${ALICE}', 'for alice')`)
      // The real server's postgres_changes poller has its own connection; its authorization queries time out (15 s).
      const change = await subscriber.waitArray((frame) => frame[3] === 'postgres_changes', 5000, 'the change').catch(() => undefined)
      expect(change).toBeDefined()
    } finally {
      await gate.release()
    }
  })

  it('hang: stack.stop() does not finish while a private join\'s policy check waits', async () => {
    const own = await startTestStack({ sql: [GATE_SQL] })
    let stopping: Promise<void> | undefined
    const gate = await lockGate(own)
    try {
      const client = await RawClient.connect(own.url, { apikey: own.anonKey, vsn: '2.0.0' })
      raws.push(client)
      client.sendJson(['1', '1', 'realtime:gated:stop', 'phx_join', { config: { private: true }, access_token: own.signJwt({ sub: ALICE }) }])
      await untilGateWaiters(1, own)
      stopping = own.stop()
      const outcome = await Promise.race([stopping.then(() => 'stopped'), sleep(5000).then(() => 'still stopping after 5 s')])
      expect(outcome).toBe('stopped')
    } finally {
      await gate.release()
      await (stopping ?? own.stop())
    }
  })
})

describe('review #15: behaviour that differs from the real server', () => {
  it('wrong: a first private broadcast\'s write check holds the socket\'s heartbeat replies', async () => {
    const client = await raw()
    expect((await joined(client, '1', 'realtime:slowwrite:1', { config: { private: true, broadcast: { ack: true } }, access_token: token(ALICE) }))[4]).toMatchObject({ status: 'ok' })
    const gate = await lockGate()
    try {
      client.sendJson(['1', '2', 'realtime:slowwrite:1', 'broadcast', { type: 'broadcast', event: 'first', payload: {} }])
      await untilGateWaiters(1)
      client.sendJson([null, '3', 'phoenix', 'heartbeat', {}])
      // Phoenix answers heartbeats in the transport process; the write check runs in the channel process
      // (broadcast_handler.ex). Held past 25-50 s, realtime-js declares the connection dead and reconnects.
      const heartbeat = await client.waitArray((frame) => frame[1] === '3', 3000, 'the heartbeat reply').catch(() => undefined)
      expect(heartbeat).toBeDefined()
    } finally {
      await gate.release()
      await client.waitArray((frame) => frame[1] === '2', 5000, 'the ack').catch(() => undefined)
    }
  })

  it('wrong: after a track enabled presence on a private channel, an access_token refresh stops that channel\'s presence diffs', async () => {
    const tracker = await raw()
    expect((await joined(tracker, '1', 'realtime:room:r1', { config: { private: true, presence: { enabled: false } }, access_token: token(ALICE) }))[4]).toMatchObject({ status: 'ok' })
    tracker.sendJson(['1', '2', 'realtime:room:r1', 'presence', { type: 'presence', event: 'track', payload: { who: 'tracker' } }])
    expect((await tracker.waitArray((frame) => frame[1] === '2'))[4]).toMatchObject({ status: 'ok' })
    tracker.sendJson(['1', '3', 'realtime:room:r1', 'access_token', { access_token: token(ALICE, { iat: Math.floor(Date.now() / 1000) - 1 }) }])
    // Held until the access_token check is done.
    tracker.sendJson([null, '4', 'phoenix', 'heartbeat', {}])
    await tracker.waitArray((frame) => frame[1] === '4')
    const other = await raw()
    await joined(other, '1', 'realtime:room:r1', { config: { private: true, presence: { enabled: true, key: 'other-device' } }, access_token: token(ALICE) })
    other.sendJson(['1', '2', 'realtime:room:r1', 'presence', { type: 'presence', event: 'track', payload: { who: 'other' } }])
    await other.waitArray((frame) => frame[1] === '2')
    other.sendJson(['1', '3', 'realtime:room:r1', 'broadcast', { type: 'broadcast', event: 'marker', payload: {} }])
    await waitFor(() => broadcastEvents(tracker).includes('marker'), 5000, 'the marker')
    // The track set presence_enabled? (presence_handler.ex track/2), so the refresh re-authorizes presence read
    // (maybe_assign_policies with presence_enabled?: true) and the diffs keep coming.
    const diffs = tracker.arrays().filter((frame) => frame[3] === 'presence_diff')
    expect(diffs.some((frame) => 'other-device' in ((frame[4] as { joins?: Record<string, unknown> }).joins ?? {}))).toBe(true)
  })

  it('wrong: replay with a negative since is refused as invalid (the real server replays from before 1970)', async () => {
    const client = await raw()
    // Realtime.Messages.replay/5: is_integer(since), then DateTime.from_unix(since, :millisecond), which accepts -1.
    const reply = await joined(client, '1', 'realtime:room:r1', { config: { private: true, broadcast: { replay: { since: -1 } } }, access_token: token(ALICE) })
    expect(reply[4]).toMatchObject({ status: 'ok' })
  })

  it('leak: a private join refused after its socket closed leaves a join-error timer behind', async () => {
    const before = new Set(stack.realtime.sockets)
    const client = await raw()
    const socket = await waitFor(() => [...stack.realtime.sockets].find((candidate) => !before.has(candidate)), 5000, 'the server socket')
    const pendingJoinErrors = (socket as unknown as { pendingJoinErrors: Set<unknown> }).pendingJoinErrors
    // Observe the join's read check: its continuation (the refusal) runs before this test's await on the same promise.
    const authorization = stack.realtime.authorization
    const checks: Promise<unknown>[] = []
    const read = authorization.read.bind(authorization)
    authorization.read = (...args: Parameters<typeof read>) => {
      const check = read(...args)
      checks.push(check)
      return check
    }
    const gate = await lockGate()
    try {
      client.sendJson(['1', '1', 'realtime:gatedno:1', 'phx_join', { config: { private: true }, access_token: token(ALICE) }])
      await untilGateWaiters(1)
      client.terminate()
      await waitFor(() => socket.closed, 5000, 'the server to see the close')
      await gate.release()
      expect(checks).toHaveLength(1)
      await checks[0]!.catch(() => undefined)
      // onClosed() cleared the socket's join-error timers; the refusal of the pending join adds one afterwards,
      // which nothing clears (it fires joinErrorDelayMs later, 5 s by default, into a closed socket).
      expect(pendingJoinErrors.size).toBe(0)
    } finally {
      authorization.read = read
      await gate.release()
    }
  })
})
