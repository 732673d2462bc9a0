import WebSocket from 'ws'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { LocalStack } from '../src/index.js'
import { startTestStack } from './fixtures.js'
import { RawClient, waitFor } from './helpers.js'

let stack: LocalStack
const clients: RawClient[] = []

beforeAll(async () => {
  stack = await startTestStack()
})
afterAll(async () => {
  await stack?.stop()
})
afterEach(() => {
  for (const client of clients.splice(0)) client.terminate()
})

async function connect(vsn: '1.0.0' | '2.0.0' = '2.0.0', key = stack.anonKey): Promise<RawClient> {
  const client = await RawClient.connect(stack.url, { apikey: key, vsn })
  clients.push(client)
  return client
}

const reply = (frame: unknown[]) => frame[3] === 'phx_reply'

async function join(client: RawClient, topic: string, config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const ref = client.nextRef()
  client.sendJson([ref, ref, topic, 'phx_join', { config: { broadcast: { self: false, ack: false }, presence: { key: '', enabled: false }, postgres_changes: [], private: false, ...config }, ...extra }])
  const frame = await client.waitArray((f) => reply(f) && f[1] === ref, 5000, `join reply for ${topic}`)
  return { ref, frame, payload: frame[4] as { status: string; response: Record<string, unknown> } }
}

/** A kind-3 user broadcast push, byte for byte as realtime-js encodes it. */
function userBroadcastPush(joinRef: string, ref: string, topic: string, event: string, payload: Buffer, json = true): Buffer {
  const parts = [joinRef, ref, topic, event, ''].map((text) => Buffer.from(text))
  return Buffer.concat([Buffer.from([3, ...parts.map((part) => part.length), json ? 1 : 0]), ...parts, payload])
}

describe('connection and framing', () => {
  it('answers heartbeats on the phoenix topic', async () => {
    const client = await connect()
    client.sendJson([null, '7', 'phoenix', 'heartbeat', {}])
    const frame = await client.waitArray((f) => f[1] === '7')
    expect(frame).toEqual([null, '7', 'phoenix', 'phx_reply', { status: 'ok', response: {} }])
  })

  it('speaks vsn 1.0.0 as JSON objects that never carry join_ref', async () => {
    const client = await connect('1.0.0')
    client.sendJson({ topic: 'realtime:v1room', event: 'phx_join', payload: { config: {} }, ref: '1', join_ref: '1' })
    const frame = await waitFor(() => client.frames.find((f) => (f.json as { ref?: string })?.ref === '1'))
    expect(Object.keys(frame.json as object)).toEqual(['event', 'payload', 'ref', 'topic'])
    expect(frame.json).toEqual({ event: 'phx_reply', payload: { status: 'ok', response: { postgres_changes: [] } }, ref: '1', topic: 'realtime:v1room' })
  })

  it('refuses an upgrade without apikey with HTTP 401 and the server text', async () => {
    const ws = new WebSocket(`${stack.url.replace('http', 'ws')}/realtime/v1/websocket?vsn=2.0.0`)
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      ws.on('unexpected-response', (_request, response) => {
        let text = ''
        response.on('data', (chunk: Buffer) => (text += chunk.toString()))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }))
      })
      ws.on('open', () => reject(new Error('upgrade should have been refused')))
      ws.on('error', () => undefined)
    })
    expect(status).toBe(401)
    expect(JSON.parse(body)).toEqual({ error: 'API key is missing' })
  })

  it('refuses a token signed with another secret', async () => {
    const forged = stack.anonKey.slice(0, stack.anonKey.lastIndexOf('.') + 1) + 'AAAA'
    const ws = new WebSocket(`${stack.url.replace('http', 'ws')}/realtime/v1/websocket?vsn=2.0.0&apikey=${forged}`)
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
      ws.on('error', () => undefined)
    })
    expect(status).toBe(401)
  })

  it('answers unknown topics and unjoined topics with "unmatched topic"', async () => {
    const client = await connect()
    client.sendJson(['1', '1', 'foo', 'phx_join', {}])
    expect(await client.waitArray((f) => f[1] === '1')).toEqual([null, '1', 'foo', 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }])
    client.sendJson([null, '2', 'realtime:nobody', 'broadcast', { type: 'broadcast', event: 'x', payload: {} }])
    expect(await client.waitArray((f) => f[1] === '2')).toEqual([null, '2', 'realtime:nobody', 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }])
  })

  it('ignores malformed frames, keeps the socket open and keeps serving everyone', async () => {
    const client = await connect()
    const other = await connect()
    const before = stack.realtime.stats.badFrames
    client.sendRaw('this is not json')
    client.sendRaw('[1,2]')
    client.sendRaw('{"topic":"x"}')
    client.sendRaw(Buffer.from([9, 1, 2, 3]), true)
    client.sendRaw(Buffer.from([3, 200, 1]), true)
    client.sendJson([null, 'after', 'phoenix', 'heartbeat', {}])
    other.sendJson([null, 'other', 'phoenix', 'heartbeat', {}])
    await client.waitArray((f) => f[1] === 'after')
    await other.waitArray((f) => f[1] === 'other')
    expect(stack.realtime.stats.badFrames - before).toBe(5)
    expect(client.closeCode).toBeUndefined()
  })

  it('closes a socket with 1009 when a frame exceeds maxFrameBytes, and keeps serving others', async () => {
    const client = await connect()
    const other = await connect()
    client.sendRaw('x'.repeat(5_000_001))
    expect(await client.waitClosed()).toBe(1009)
    other.sendJson([null, 'ok', 'phoenix', 'heartbeat', {}])
    await other.waitArray((f) => f[1] === 'ok')
  })

  it('closes a socket that sent nothing for the idle timeout', async () => {
    const original = stack.realtime.limits.idleTimeoutMs
    stack.realtime.limits.idleTimeoutMs = 300
    try {
      const client = await connect()
      expect(await client.waitClosed(5000)).toBe(1000)
    } finally {
      stack.realtime.limits.idleTimeoutMs = original
    }
  })
})

describe('join, leave and limits', () => {
  it('echoes postgres_changes bindings in order with stable integer ids', async () => {
    const client = await connect()
    const bindings = [
      { event: 'INSERT', schema: 'public', table: 'todos', filter: 'id=eq.1' },
      { event: '*', schema: 'public', table: 'todos' },
    ]
    const first = await join(client, 'realtime:ids-a', { postgres_changes: bindings })
    const echoed = first.payload.response.postgres_changes as Record<string, unknown>[]
    expect(first.payload.status).toBe('ok')
    expect(echoed.map(({ id: _id, ...rest }) => rest)).toEqual(bindings)
    for (const entry of echoed) expect(Number.isInteger(entry.id)).toBe(true)
    expect(echoed[0]!.id).not.toBe(echoed[1]!.id)
    const second = await join(client, 'realtime:ids-b', { postgres_changes: [bindings[1]] })
    expect((second.payload.response.postgres_changes as { id: number }[])[0]!.id).toBe(echoed[1]!.id)
  })

  it('sends "Subscribed to PostgreSQL" after the reply, with join_ref and a null ref', async () => {
    const client = await connect()
    const { ref } = await join(client, 'realtime:sub', { postgres_changes: [{ event: '*', schema: 'public', table: 'todos' }] })
    const system = await client.waitArray((f) => f[3] === 'system')
    expect(system).toEqual([ref, null, 'realtime:sub', 'system', { extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL', channel: 'sub' }])
    const frames = client.arrays()
    expect(frames.findIndex((f) => f[3] === 'phx_reply' && f[1] === ref)).toBeLessThan(frames.indexOf(system))
  })

  it('sends a change once per channel with the ids of every matching binding', async () => {
    const client = await connect()
    const { payload } = await join(client, 'realtime:multi', {
      postgres_changes: [
        { event: 'INSERT', schema: 'public', table: 'todos' },
        { event: '*', schema: 'public', table: 'todos' },
        { event: 'DELETE', schema: 'public', table: 'todos' },
      ],
    })
    const ids = (payload.response.postgres_changes as { id: number }[]).map((binding) => binding.id)
    await client.waitArray((f) => f[3] === 'system')
    await stack.query("insert into todos (title) values ('multi')")
    const frame = await client.waitArray((f) => f[3] === 'postgres_changes')
    await stack.realtime.settled()
    expect(client.arrays().filter((f) => f[3] === 'postgres_changes')).toHaveLength(1)
    expect(frame.slice(0, 4)).toEqual([null, null, 'realtime:multi', 'postgres_changes'])
    const body = frame[4] as { ids: number[]; data: Record<string, unknown> }
    expect([...body.ids].sort()).toEqual([ids[0], ids[1]].sort())
    expect(Object.keys(body.data).sort()).toEqual(['columns', 'commit_timestamp', 'errors', 'record', 'schema', 'table', 'type'])
    expect(body.data.columns).toEqual([
      { name: 'id', type: 'int8' },
      { name: 'title', type: 'text' },
      { name: 'done', type: 'bool' },
      { name: 'priority', type: 'int4' },
      { name: 'owner', type: 'uuid' },
      { name: 'tags', type: '_text' },
      { name: 'meta', type: 'jsonb' },
      { name: 'created_at', type: 'timestamptz' },
    ])
    expect((body.data.record as { created_at: string }).created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00$/)
  })

  it('reports a table outside the publication as a postgres_changes system error and stays joined', async () => {
    const client = await connect()
    const { ref } = await join(client, 'realtime:unpublished', { postgres_changes: [{ event: '*', schema: 'public', table: 'not_published' }] })
    const system = await client.waitArray((f) => f[3] === 'system')
    expect(system[4]).toEqual({
      extension: 'postgres_changes',
      status: 'error',
      channel: 'unpublished',
      message:
        'Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [event: *, schema: public, table: not_published, filters: [], select: nil]',
    })
    client.sendJson([ref, 'hb', 'phoenix', 'heartbeat', {}])
    await client.waitArray((f) => f[1] === 'hb')
    expect(client.arrays().some((f) => f[3] === 'phx_close')).toBe(false)
  })

  it('leaves with an ok reply, then phx_close whose ref is the join_ref', async () => {
    const client = await connect()
    const { ref } = await join(client, 'realtime:leaving')
    client.sendJson([ref, 'l1', 'realtime:leaving', 'phx_leave', {}])
    const close = await client.waitArray((f) => f[3] === 'phx_close')
    const frames = client.arrays()
    const leaveReply = frames.find((f) => f[1] === 'l1')
    expect(leaveReply).toEqual([ref, 'l1', 'realtime:leaving', 'phx_reply', { status: 'ok', response: {} }])
    expect(close).toEqual([ref, ref, 'realtime:leaving', 'phx_close', {}])
    expect(frames.indexOf(leaveReply!)).toBeLessThan(frames.indexOf(close))
  })

  it('on a duplicate join replies to the new join first, then closes the old join_ref', async () => {
    const client = await connect()
    const first = await join(client, 'realtime:dup')
    const second = await join(client, 'realtime:dup')
    const close = await client.waitArray((f) => f[3] === 'phx_close')
    expect(close).toEqual([first.ref, first.ref, 'realtime:dup', 'phx_close', {}])
    const frames = client.arrays()
    expect(frames.indexOf(second.frame)).toBeLessThan(frames.indexOf(close))
  })

  it('refuses the 101st channel on one socket with ChannelRateLimitReached', async () => {
    const client = await connect()
    for (let index = 0; index < 100; index++) {
      const ref = `j${index}`
      client.sendJson([ref, ref, `realtime:many-${index}`, 'phx_join', { config: {} }])
    }
    await waitFor(() => client.arrays().filter((f) => reply(f) && String(f[1]).startsWith('j')).length === 100, 10_000, '100 joins')
    expect(client.arrays().every((f) => !reply(f) || (f[4] as { status: string }).status === 'ok')).toBe(true)
    const extra = await join(client, 'realtime:many-100')
    expect(extra.payload).toEqual({ status: 'error', response: { reason: 'ChannelRateLimitReached: Too many channels' } })
  })

  it('refuses joins with RealtimeRestarting while faults.refuseJoins is on', async () => {
    const client = await connect()
    stack.faults.refuseJoins(true)
    try {
      expect((await join(client, 'realtime:refused')).payload).toEqual({ status: 'error', response: { reason: 'RealtimeRestarting: Realtime is restarting, please standby' } })
    } finally {
      stack.faults.refuseJoins(false)
    }
    expect((await join(client, 'realtime:refused')).payload.status).toBe('ok')
  })

  it('refuses a join with an expired token with the InvalidJWTToken text', async () => {
    const client = await connect()
    const expired = stack.signJwt({ sub: 'x', exp: Math.floor(Date.now() / 1000) - 30 })
    const { payload } = await join(client, 'realtime:expired', {}, { access_token: expired })
    expect(payload.status).toBe('error')
    expect(payload.response.reason).toMatch(/^InvalidJWTToken: Token has expired (30|31|32) seconds ago$/)
  })

  it('refuses private channels without read policies, but lets service_role in', async () => {
    const anon = await connect()
    expect((await join(anon, 'realtime:vault', { private: true })).payload).toEqual({
      status: 'error',
      response: { reason: 'Unauthorized: You do not have permissions to read from this Channel topic: vault' },
    })
    const service = await connect('2.0.0', stack.serviceRoleKey)
    expect((await join(service, 'realtime:vault', { private: true })).payload.status).toBe('ok')
  })
})

describe('token lifetime', () => {
  it('closes the channel at token expiry with a system error, and keeps the socket', async () => {
    const client = await connect()
    const token = stack.signJwt({ sub: 'u', exp: Math.floor(Date.now() / 1000) + 1 })
    const { ref } = await join(client, 'realtime:expiring', {}, { access_token: token })
    const system = await client.waitArray((f) => f[3] === 'system', 4000)
    expect(system).toEqual([ref, null, 'realtime:expiring', 'system', { extension: 'system', status: 'error', message: 'Token has expired 0 seconds ago', channel: 'expiring' }])
    expect(await client.waitArray((f) => f[3] === 'phx_close')).toEqual([ref, ref, 'realtime:expiring', 'phx_close', {}])
    client.sendJson([null, 'still', 'phoenix', 'heartbeat', {}])
    await client.waitArray((f) => f[1] === 'still')
  })

  it('takes a fresh access_token without a reply and then outlives the old expiry', async () => {
    const client = await connect()
    const short = stack.signJwt({ sub: 'u', exp: Math.floor(Date.now() / 1000) + 1 })
    const { ref } = await join(client, 'realtime:refresh', {}, { access_token: short })
    client.sendJson([ref, 'tok', 'realtime:refresh', 'access_token', { access_token: stack.signJwt({ sub: 'u' }) }])
    const expiredAt = Date.now() + 2500
    await waitFor(() => Date.now() > expiredAt, 4000, 'the old expiry to pass')
    expect(client.arrays().filter((f) => f[1] === 'tok')).toEqual([])
    expect(client.arrays().some((f) => f[3] === 'system' || f[3] === 'phx_close')).toBe(false)
  })

  it('shuts the channel down when an access_token has a bad signature', async () => {
    const client = await connect()
    const { ref } = await join(client, 'realtime:badtoken')
    const bad = stack.signJwt({ sub: 'u' }).replace(/\.[^.]+$/, '.AAAAAAAA')
    client.sendJson([ref, 'tok', 'realtime:badtoken', 'access_token', { access_token: bad }])
    const system = await client.waitArray((f) => f[3] === 'system')
    expect((system[4] as { message: string }).message).toBe(':signature_error')
    await client.waitArray((f) => f[3] === 'phx_close')
  })
})

describe('broadcast', () => {
  it('forwards a kind-3 push as kind-4 binary to vsn 2 and as JSON to vsn 1, honouring self and ack', async () => {
    const sender = await connect()
    const v2 = await connect()
    const v1 = await connect('1.0.0')
    const { ref } = await join(sender, 'realtime:bc', { broadcast: { self: true, ack: true } })
    await join(v2, 'realtime:bc')
    v1.sendJson({ topic: 'realtime:bc', event: 'phx_join', payload: { config: {} }, ref: 'v1', join_ref: 'v1' })
    await waitFor(() => v1.frames.find((f) => (f.json as { ref?: string })?.ref === 'v1'))
    sender.sendRaw(userBroadcastPush(ref, 'b1', 'realtime:bc', 'cursor', Buffer.from('{"x":1}')), true)
    const ack = await sender.waitArray((f) => f[1] === 'b1')
    expect(ack).toEqual([ref, 'b1', 'realtime:bc', 'phx_reply', { status: 'ok', response: {} }])
    const expected = Buffer.concat([Buffer.from([4, 11, 6, 0, 1]), Buffer.from('realtime:bc'), Buffer.from('cursor'), Buffer.from('{"x":1}')])
    const binary = await waitFor(() => v2.frames.find((f) => f.binary))
    expect(binary.bytes!.equals(expected)).toBe(true)
    const self = await waitFor(() => sender.frames.find((f) => f.binary))
    expect(self.bytes!.equals(expected)).toBe(true)
    const json = await waitFor(() => v1.frames.find((f) => (f.json as { event?: string })?.event === 'broadcast'))
    expect(json.json).toEqual({ event: 'broadcast', payload: { event: 'cursor', payload: { x: 1 }, type: 'broadcast' }, ref: null, topic: 'realtime:bc' })
  })

  it('excludes the sender by default and forwards text broadcasts as text frames', async () => {
    const sender = await connect()
    const receiver = await connect()
    const { ref } = await join(sender, 'realtime:text')
    await join(receiver, 'realtime:text')
    sender.sendJson([ref, 't1', 'realtime:text', 'broadcast', { type: 'broadcast', event: 'ping', payload: { n: 1 } }])
    const frame = await receiver.waitArray((f) => f[3] === 'broadcast')
    expect(frame).toEqual([null, null, 'realtime:text', 'broadcast', { type: 'broadcast', event: 'ping', payload: { n: 1 } }])
    sender.sendJson([null, 'hb', 'phoenix', 'heartbeat', {}])
    await sender.waitArray((f) => f[1] === 'hb')
    expect(sender.arrays().some((f) => f[3] === 'broadcast') || sender.frames.some((f) => f.binary)).toBe(false)
  })

  it('answers an oversized acked broadcast with payload_size_exceeded and delivers nothing', async () => {
    const original = stack.realtime.limits.maxPayloadBytes
    stack.realtime.limits.maxPayloadBytes = 100
    try {
      const sender = await connect()
      const receiver = await connect()
      const { ref } = await join(sender, 'realtime:big', { broadcast: { self: false, ack: true } })
      await join(receiver, 'realtime:big')
      sender.sendRaw(userBroadcastPush(ref, 'big', 'realtime:big', 'blob', Buffer.from(JSON.stringify({ data: 'x'.repeat(200) }))), true)
      expect(await sender.waitArray((f) => f[1] === 'big')).toEqual([ref, 'big', 'realtime:big', 'phx_reply', { status: 'error', response: 'payload_size_exceeded' }])
      expect(receiver.frames.some((f) => f.binary)).toBe(false)
    } finally {
      stack.realtime.limits.maxPayloadBytes = original
    }
  })

  it('serves the REST broadcast API: batch as text frames, single event as kind-4, errors as the server words them', async () => {
    const receiver = await connect()
    await join(receiver, 'realtime:rest')
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${stack.url}/realtime/v1/api/${path}`, { method: 'POST', body, headers: { apikey: stack.anonKey, 'content-type': 'application/json', ...headers } })
    const batch = await post('broadcast', JSON.stringify({ messages: [{ topic: 'rest', event: 'note', payload: { a: 1 } }] }))
    expect(batch.status).toBe(202)
    expect(await batch.text()).toBe('')
    expect(await receiver.waitArray((f) => f[3] === 'broadcast')).toEqual([null, null, 'realtime:rest', 'broadcast', { event: 'note', payload: { a: 1 }, type: 'broadcast' }])
    const single = await post('broadcast/rest/events/alert', JSON.stringify({ level: 2 }))
    expect(single.status).toBe(202)
    const binary = await waitFor(() => receiver.frames.find((f) => f.binary))
    expect(binary.bytes!.equals(Buffer.concat([Buffer.from([4, 13, 5, 0, 1]), Buffer.from('realtime:rest'), Buffer.from('alert'), Buffer.from('{"level":2}')]))).toBe(true)
    const blank = await post('broadcast', JSON.stringify({ messages: [] }))
    expect(blank.status).toBe(422)
    expect(await blank.json()).toEqual({ errors: { messages: ["can't be blank"] } })
    const unauthorized = await fetch(`${stack.url}/realtime/v1/api/broadcast`, { method: 'POST', body: '{}', headers: { apikey: 'nope' } })
    expect(unauthorized.status).toBe(401)
    expect(await unauthorized.json()).toEqual({ message: 'Unauthorized' })
    const wrongType = await post('broadcast/rest/events/x', 'hi', { 'content-type': 'text/plain' })
    expect(wrongType.status).toBe(415)
  })
})

describe('presence', () => {
  it('sends presence_state after the join, and diffs to every subscriber including the tracker', async () => {
    const alice = await connect()
    const bob = await connect()
    const a = await join(alice, 'realtime:room', { presence: { key: 'alice', enabled: true } })
    expect(await alice.waitArray((f) => f[3] === 'presence_state')).toEqual([a.ref, null, 'realtime:room', 'presence_state', {}])
    alice.sendJson([a.ref, 'p1', 'realtime:room', 'presence', { type: 'presence', event: 'track', payload: { online_at: 't1' } }])
    expect(await alice.waitArray((f) => f[1] === 'p1')).toEqual([a.ref, 'p1', 'realtime:room', 'phx_reply', { status: 'ok', response: {} }])
    const ownDiff = await alice.waitArray((f) => f[3] === 'presence_diff')
    const meta = (ownDiff[4] as { joins: Record<string, { metas: { phx_ref: string }[] }> }).joins.alice!.metas[0]!
    expect(meta.phx_ref).toMatch(/^[A-Za-z0-9_-]{16}$/)
    expect(ownDiff).toEqual([null, null, 'realtime:room', 'presence_diff', { joins: { alice: { metas: [{ online_at: 't1', phx_ref: meta.phx_ref }] } }, leaves: {} }])

    const b = await join(bob, 'realtime:room', { presence: { key: 'bob', enabled: true } })
    const state = await bob.waitArray((f) => f[3] === 'presence_state')
    expect(state).toEqual([b.ref, null, 'realtime:room', 'presence_state', { alice: { metas: [{ online_at: 't1', phx_ref: meta.phx_ref }] } }])

    alice.sendJson([a.ref, 'p2', 'realtime:room', 'presence', { type: 'presence', event: 'track', payload: { online_at: 't2' } }])
    const update = await bob.waitArray((f) => f[3] === 'presence_diff')
    const updated = (update[4] as { joins: Record<string, { metas: Record<string, unknown>[] }>; leaves: Record<string, { metas: Record<string, unknown>[] }> })
    expect(updated.joins.alice!.metas[0]).toMatchObject({ online_at: 't2', phx_ref_prev: meta.phx_ref })
    expect(updated.leaves.alice!.metas[0]).toEqual({ online_at: 't1', phx_ref: meta.phx_ref })

    const framesBefore = bob.arrays().length
    alice.sendJson([a.ref, 'bye', 'realtime:room', 'phx_leave', {}])
    const leave = await bob.waitArray((f) => f[3] === 'presence_diff' && bob.arrays().indexOf(f) >= framesBefore)
    expect(Object.keys((leave[4] as { leaves: object }).leaves)).toEqual(['alice'])
  })

  it('gives an empty presence key a fresh uuid on every join', async () => {
    const client = await connect()
    const keys: string[] = []
    for (const topic of ['realtime:anon-1', 'realtime:anon-2']) {
      const { ref } = await join(client, topic, { presence: { key: '', enabled: true } })
      client.sendJson([ref, `${topic}-t`, topic, 'presence', { type: 'presence', event: 'track', payload: {} }])
      const diff = await client.waitArray((f) => f[3] === 'presence_diff' && f[2] === topic)
      keys.push(Object.keys((diff[4] as { joins: object }).joins)[0]!)
    }
    for (const key of keys) expect(key).toMatch(/^[0-9a-f-]{36}$/)
    expect(keys[0]).not.toBe(keys[1])
  })

  it('shuts the channel down on the 6th presence call within the window, without a reply', async () => {
    const client = await connect()
    const { ref } = await join(client, 'realtime:chatty', { presence: { key: 'c', enabled: true } })
    for (let call = 1; call <= 6; call++) {
      client.sendJson([ref, `c${call}`, 'realtime:chatty', 'presence', { type: 'presence', event: 'track', payload: { n: call } }])
    }
    const system = await client.waitArray((f) => f[3] === 'system')
    expect(system).toEqual([ref, null, 'realtime:chatty', 'system', { extension: 'system', status: 'error', message: 'Client presence rate limit exceeded', channel: 'chatty' }])
    await client.waitArray((f) => f[3] === 'phx_close')
    expect(client.arrays().filter((f) => reply(f) && String(f[1]).startsWith('c')).map((f) => f[1])).toEqual(['c1', 'c2', 'c3', 'c4', 'c5'])
  })
})
