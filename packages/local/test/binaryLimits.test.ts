import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { LocalStack } from '../src/index.js'
import { userBroadcastAsJson, type UserBroadcast } from '../src/realtime/serializer.js'
import { startTestStack } from './fixtures.js'
import { RawClient, waitFor } from './helpers.js'

/**
 * Byte limits of binary (kind-4) broadcast frames. The real server ignores the metadata of a client's kind-3
 * push and only ever sends server-set metadata ({"id"} or {"id","replayed"}); its V2 serializer raises on a
 * topic, event or metadata over 255 bytes (docs/local-stack.md, "Binary broadcast frames").
 */

let stack: LocalStack
const logs: string[] = []
const clients: RawClient[] = []
const supabases: SupabaseClient[] = []

beforeAll(async () => {
  stack = await startTestStack({ log: (line) => logs.push(line) })
})
afterAll(async () => {
  await stack?.stop()
})
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate()
  for (const supabase of supabases.splice(0)) await supabase.removeAllChannels()
})

async function connect(vsn: '1.0.0' | '2.0.0' = '2.0.0'): Promise<RawClient> {
  const client = await RawClient.connect(stack.url, { apikey: stack.anonKey, vsn })
  clients.push(client)
  return client
}

async function join(client: RawClient, topic: string, broadcast = { self: false, ack: false }): Promise<string> {
  const ref = client.nextRef()
  const config = { broadcast, presence: { key: '', enabled: false }, postgres_changes: [], private: false }
  client.sendJson([ref, ref, topic, 'phx_join', { config }])
  await client.waitArray((f) => f[3] === 'phx_reply' && f[1] === ref, 5000, `join reply for ${topic}`)
  return ref
}

/** vsn 1 receivers speak JSON objects. */
async function joinV1(client: RawClient, topic: string): Promise<void> {
  client.sendJson({ topic, event: 'phx_join', payload: { config: {} }, ref: 'v1', join_ref: 'v1' })
  await waitFor(() => client.frames.find((f) => (f.json as { ref?: string })?.ref === 'v1'), 5000, `vsn 1 join of ${topic}`)
}

/** A kind-3 user broadcast push as realtime-js encodes it, with `metadata` where its allowedMetadataKeys would put it. */
function userBroadcastPush(joinRef: string, ref: string, topic: string, event: string, payload: Buffer, metadata = ''): Buffer {
  const parts = [joinRef, ref, topic, event, metadata].map((text) => Buffer.from(text))
  return Buffer.concat([Buffer.from([3, ...parts.map((part) => part.length), 1]), ...parts, payload])
}

/** The kind-4 frame the real V2 serializer writes. */
function kind4(topic: string, event: string, payload: Buffer, metadata = '', json = true): Buffer {
  const parts = [topic, event, metadata].map((text) => Buffer.from(text))
  return Buffer.concat([Buffer.from([4, ...parts.map((part) => part.length), json ? 1 : 0]), ...parts, payload])
}

const binaryFrames = (client: RawClient): Buffer[] => client.frames.filter((f) => f.binary).map((f) => f.bytes!)
const textBroadcasts = (client: RawClient): unknown[] => client.arrays().filter((f) => f[3] === 'broadcast').map((f) => f[4])
const v1Broadcasts = (client: RawClient): unknown[] =>
  client.frames.flatMap((f) => ((f.json as { event?: string })?.event === 'broadcast' ? [(f.json as { payload: unknown }).payload] : []))

/** An unmodified supabase-js client subscribed to `subTopic`, collecting what its broadcast callback gets. */
async function supabaseReceiver(subTopic: string, event: string): Promise<{ channel: RealtimeChannel; received: Record<string, unknown>[] }> {
  const supabase = stack.createClient()
  supabases.push(supabase)
  const received: Record<string, unknown>[] = []
  const channel = supabase.channel(subTopic).on('broadcast', { event }, (message) => received.push(message as Record<string, unknown>))
  let subscribed = false
  channel.subscribe((status) => (subscribed ||= status === 'SUBSCRIBED'))
  await waitFor(() => subscribed, 5000, `supabase-js to join ${subTopic}`)
  return { channel, received }
}

/** A server-built user broadcast, as database broadcasts (realtime.send) are: metadata {"id"}. */
function serverBroadcast(event: string, payload: unknown, metadata: Record<string, unknown> | null): UserBroadcast {
  return { userEvent: event, encoding: 'json', bytes: Buffer.from(JSON.stringify(payload)), metadata }
}

/** The JSON form the server derives for vsn 1 receivers (and text fallbacks), as convert_to_json_broadcast/1 does. */
const jsonOf = (broadcast: UserBroadcast): Record<string, unknown> => userBroadcastAsJson(broadcast)

describe('client metadata in kind-3 pushes', () => {
  it('is not echoed into the kind-4 frame: {"persist":true} reaches no receiver', async () => {
    const sender = await connect()
    const receiver = await connect()
    const ref = await join(sender, 'realtime:meta', { self: true, ack: true })
    await join(receiver, 'realtime:meta')
    const { received } = await supabaseReceiver('meta', 'cursor')
    sender.sendRaw(userBroadcastPush(ref, 'b1', 'realtime:meta', 'cursor', Buffer.from('{"x":1}'), '{"persist":true}'), true)
    expect(await sender.waitArray((f) => f[1] === 'b1')).toEqual([ref, 'b1', 'realtime:meta', 'phx_reply', { status: 'ok', response: {} }])
    const expected = kind4('realtime:meta', 'cursor', Buffer.from('{"x":1}'))
    expect((await waitFor(() => binaryFrames(receiver)[0])).equals(expected)).toBe(true)
    expect((await waitFor(() => binaryFrames(sender)[0])).equals(expected)).toBe(true)
    await waitFor(() => received.length > 0, 5000, 'the supabase-js receiver')
    expect(received).toEqual([{ type: 'broadcast', event: 'cursor', payload: { x: 1 } }])
  })

  it('metadata longer than 255 bytes once re-encoded no longer loses the broadcast for every receiver', async () => {
    // 1e21 re-encodes as 1e+21: 255 bytes on the wire, 300 re-encoded.
    const metadata = `{"persist":true,"n":[${Array.from({ length: 45 }, () => '1e21').join(',')}],"p":"${'x'.repeat(1)}"}`
    expect(Buffer.byteLength(metadata)).toBe(255)
    expect(Buffer.byteLength(JSON.stringify(JSON.parse(metadata)))).toBeGreaterThan(255)
    const sender = await connect()
    const first = await connect()
    const second = await connect()
    const v1 = await connect('1.0.0')
    const ref = await join(sender, 'realtime:regrow')
    await join(first, 'realtime:regrow')
    await join(second, 'realtime:regrow')
    await joinV1(v1, 'realtime:regrow')
    const { received } = await supabaseReceiver('regrow', 'e')
    const badFrames = stack.realtime.stats.badFrames
    sender.sendRaw(userBroadcastPush(ref, 'b1', 'realtime:regrow', 'e', Buffer.from('{"v":2}'), metadata), true)
    const expected = kind4('realtime:regrow', 'e', Buffer.from('{"v":2}'))
    for (const receiver of [first, second]) expect((await waitFor(() => binaryFrames(receiver)[0], 5000, 'kind-4 frame')).equals(expected)).toBe(true)
    expect(await waitFor(() => v1Broadcasts(v1)[0], 5000, 'vsn 1 broadcast')).toEqual({ event: 'e', payload: { v: 2 }, type: 'broadcast' })
    await waitFor(() => received.length > 0, 5000, 'the supabase-js receiver')
    expect(received).toEqual([{ type: 'broadcast', event: 'e', payload: { v: 2 } }])
    expect(stack.realtime.stats.badFrames).toBe(badFrames)
  })
})

describe('server metadata and long fields', () => {
  it('delivers a 255-byte event with server metadata {"id"} as kind-4, and with meta to vsn 1 and supabase-js', async () => {
    const event = 'e'.repeat(255)
    const v2 = await connect()
    const v1 = await connect('1.0.0')
    await join(v2, 'realtime:long-event')
    await joinV1(v1, 'realtime:long-event')
    const { received } = await supabaseReceiver('long-event', event)
    const id = '6f1a3b2c-4d5e-4f60-8a7b-9c0d1e2f3a4b'
    const broadcast = serverBroadcast(event, { value: 'x' }, { id })
    expect(stack.realtime.restBroadcast('long-event', false, jsonOf(broadcast), broadcast)).toBe(3)
    const frame = await waitFor(() => binaryFrames(v2)[0], 5000, 'kind-4 frame')
    expect(frame.equals(kind4('realtime:long-event', event, Buffer.from('{"value":"x"}'), JSON.stringify({ id })))).toBe(true)
    expect(await waitFor(() => v1Broadcasts(v1)[0], 5000, 'vsn 1 broadcast')).toEqual({ event, payload: { value: 'x' }, type: 'broadcast', meta: { id } })
    await waitFor(() => received.length > 0, 5000, 'the supabase-js receiver')
    expect(received).toEqual([{ type: 'broadcast', event, payload: { value: 'x' }, meta: { id } }])
  })

  it('sends a JSON broadcast whose topic or event cannot fit a kind-4 frame as a text broadcast, to every receiver', async () => {
    const subTopic = 't'.repeat(250) // 259 bytes with "realtime:"
    const topic = `realtime:${subTopic}`
    const v2 = await connect()
    const v2b = await connect()
    const v1 = await connect('1.0.0')
    await join(v2, topic)
    await joinV1(v1, topic)
    await join(v2b, topic)
    const { received } = await supabaseReceiver(subTopic, 'long-topic')
    const logsBefore = logs.length
    const broadcast = serverBroadcast('long-topic', { a: 1 }, { id: 'abc' })
    expect(stack.realtime.restBroadcast(topic.slice('realtime:'.length), false, jsonOf(broadcast), broadcast)).toBe(4)
    const expected = { event: 'long-topic', payload: { a: 1 }, type: 'broadcast', meta: { id: 'abc' } }
    for (const receiver of [v2, v2b]) expect(await waitFor(() => textBroadcasts(receiver)[0], 5000, 'text broadcast')).toEqual(expected)
    expect(await waitFor(() => v1Broadcasts(v1)[0], 5000, 'vsn 1 broadcast')).toEqual(expected)
    await waitFor(() => received.length > 0, 5000, 'the supabase-js receiver')
    expect(received).toEqual([expected])
    expect(binaryFrames(v2)).toEqual([])
    // Logged once for the message, not once per receiver.
    expect(logs.slice(logsBefore).filter((line) => line.includes('as a text frame'))).toHaveLength(1)

    // An event over 255 bytes on a short topic: the same fallback.
    const longEvent = 'é'.repeat(128) // 128 characters, 256 bytes
    await join(v2, 'realtime:short')
    const second = serverBroadcast(longEvent, { b: 2 }, null)
    stack.realtime.restBroadcast('short', false, jsonOf(second), second)
    expect(await waitFor(() => textBroadcasts(v2)[1], 5000, 'text broadcast')).toEqual({ event: longEvent, payload: { b: 2 }, type: 'broadcast' })
  })

  it('counts and logs a binary broadcast that cannot fit a kind-4 frame, and keeps delivering what follows', async () => {
    const topic = `realtime:${'b'.repeat(250)}`
    const v2 = await connect()
    const v2b = await connect()
    await join(v2, topic)
    await join(v2b, topic)
    const before = stack.realtime.stats.undeliverableBroadcasts
    const logsBefore = logs.length
    const binary: UserBroadcast = { userEvent: 'blob', encoding: 'binary', bytes: Buffer.from([1, 2, 3]), metadata: null }
    expect(() => stack.realtime.restBroadcast(topic.slice('realtime:'.length), false, { event: 'blob', payload: null, type: 'broadcast' }, binary)).not.toThrow()
    expect(stack.realtime.stats.undeliverableBroadcasts).toBe(before + 2)
    expect(logs.slice(logsBefore).filter((line) => line.includes('dropped a binary broadcast'))).toHaveLength(1)
    const next = serverBroadcast('next', { ok: true }, null)
    stack.realtime.restBroadcast(topic.slice('realtime:'.length), false, jsonOf(next), next)
    for (const receiver of [v2, v2b]) expect(await waitFor(() => textBroadcasts(receiver)[0], 5000, 'the next broadcast')).toEqual({ event: 'next', payload: { ok: true }, type: 'broadcast' })
    expect(binaryFrames(v2)).toEqual([])
  })

  it("one receiver's failure does not stop the fan-out to the receivers after it", async () => {
    const sender = await connect()
    const broken = await connect()
    const after = await connect()
    const v1 = await connect('1.0.0')
    const ref = await join(sender, 'realtime:fanout')
    await join(broken, 'realtime:fanout')
    await join(broken, 'realtime:fanout-broken-marker')
    await join(after, 'realtime:fanout')
    await joinV1(v1, 'realtime:fanout')
    const serverSide = [...stack.realtime.sockets].find((socket) => socket.channels.has('realtime:fanout-broken-marker'))!
    serverSide.ws.send = () => {
      throw new Error('simulated send failure')
    }
    const before = stack.realtime.stats.undeliverableBroadcasts
    sender.sendRaw(userBroadcastPush(ref, 'b1', 'realtime:fanout', 'e', Buffer.from('{"z":3}')), true)
    expect((await waitFor(() => binaryFrames(after)[0], 5000, 'kind-4 frame after the broken receiver')).equals(kind4('realtime:fanout', 'e', Buffer.from('{"z":3}')))).toBe(true)
    expect(await waitFor(() => v1Broadcasts(v1)[0], 5000, 'vsn 1 broadcast')).toEqual({ event: 'e', payload: { z: 3 }, type: 'broadcast' })
    expect(stack.realtime.stats.undeliverableBroadcasts).toBe(before + 1)
    expect(logs.some((line) => line.includes('simulated send failure'))).toBe(true)
  })
})

describe('REST single broadcast endpoint', () => {
  const post = (subTopic: string, event: string, body = '{"k":1}') =>
    fetch(`${stack.url}/realtime/v1/api/broadcast/${encodeURIComponent(subTopic)}/events/${encodeURIComponent(event)}`, {
      method: 'POST',
      body,
      headers: { apikey: stack.anonKey, 'content-type': 'application/json' },
    })

  it('answers 422 with how to fix it for an event over 255 bytes or a topic over 246, and delivers at 255 and 246', async () => {
    const subTopic = 's'.repeat(246) // exactly 255 bytes with "realtime:"
    const receiver = await connect()
    await join(receiver, `realtime:${subTopic}`)
    for (const [topic, event, field] of [
      [subTopic, 'e'.repeat(256), 'event'],
      [subTopic, 'é'.repeat(128), 'event'], // 128 characters, 256 bytes
      ['s'.repeat(247), 'ok', 'topic'],
    ] as const) {
      const response = await post(topic, event)
      expect(response.status).toBe(422)
      const body = (await response.json()) as { error: string }
      expect(body.error).toContain(`the ${field}`)
      expect(body.error).toContain('at most 255')
      expect(body.error).toContain('Use an event name of at most 255 bytes and a topic of at most 246 bytes')
    }
    const event = 'e'.repeat(255)
    const accepted = await post(subTopic, event)
    expect(accepted.status).toBe(202)
    const frame = await waitFor(() => binaryFrames(receiver)[0], 5000, 'kind-4 frame')
    expect(frame.equals(kind4(`realtime:${subTopic}`, event, Buffer.from('{"k":1}')))).toBe(true)
    // Only the accepted request was broadcast.
    expect(binaryFrames(receiver)).toHaveLength(1)
    expect(textBroadcasts(receiver)).toEqual([])
  })

  it('makes supabase-js httpSend reject with the fix instead of resolving for a lost message', async () => {
    const { channel, received } = await supabaseReceiver('http-send', 'ok')
    await expect(channel.httpSend('e'.repeat(300), { a: 1 })).rejects.toThrow(/the event is 300 bytes.*at most 255.*Use an event name of at most 255 bytes/)
    await expect(channel.httpSend('ok', { a: 1 })).resolves.toEqual({ success: true })
    await waitFor(() => received.length > 0, 5000, 'the accepted httpSend')
    expect(received).toEqual([{ type: 'broadcast', event: 'ok', payload: { a: 1 } }])
  })
})
