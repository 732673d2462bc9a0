import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { LocalStack } from '../src/index.js'
import type { ClientSocket } from '../src/realtime/ClientSocket.js'
import { defaultLimits } from '../src/realtime/limits.js'
import { startTestStack } from './fixtures.js'
import { RawClient, waitFor } from './helpers.js'

/**
 * Slow consumers: a subscriber that stops reading must not make the server buffer without bound. The real
 * server kills the transport process past max_heap_size (50 MB) or closes the socket after Ranch's 30 s
 * send_timeout; either way the client sees 1006 (docs/local-stack.md, "Slow consumers").
 */

let stack: LocalStack
const logs: string[] = []
const clients: RawClient[] = []

beforeAll(async () => {
  stack = await startTestStack({ log: (line) => logs.push(line) })
})
afterAll(async () => {
  await stack?.stop()
})
afterEach(() => {
  for (const client of clients.splice(0)) client.terminate()
  stack.realtime.limits.maxSendBufferBytes = defaultLimits.maxSendBufferBytes
  stack.realtime.limits.sendTimeoutMs = defaultLimits.sendTimeoutMs
})

async function connect(): Promise<RawClient> {
  const client = await RawClient.connect(stack.url, { apikey: stack.anonKey, vsn: '2.0.0' })
  clients.push(client)
  return client
}

async function join(client: RawClient, topic: string): Promise<string> {
  const ref = client.nextRef()
  client.sendJson([ref, ref, topic, 'phx_join', { config: { broadcast: { self: false, ack: false }, presence: { key: '', enabled: false }, postgres_changes: [], private: false } }])
  await client.waitArray((f) => f[3] === 'phx_reply' && f[1] === ref, 5000, `join reply for ${topic}`)
  return ref
}

/** The server's side of a client, found by a topic only that client joined. */
function serverSocketOf(markerTopic: string): ClientSocket {
  const socket = [...stack.realtime.sockets].find((candidate) => candidate.channels.has(markerTopic))
  if (!socket) throw new Error(`no server socket has joined ${markerTopic}`)
  return socket
}

/** The `n` of every flood broadcast a client received, in arrival order. */
const received = (client: RawClient): number[] =>
  client.arrays().flatMap((f) => (f[3] === 'broadcast' ? [(f[4] as { payload: { n: number } }).payload.n] : []))

const FILLER = 'x'.repeat(16_000)
/** Far more than the kernel buffers of a loopback connection (a few MB) plus any limit used here. */
const FLOOD_CAP_BYTES = 64_000_000

/**
 * A sender, a reader that keeps up and a reader that has stopped reading, on one topic. `flood` sends 16 kB
 * broadcasts in batches of 20 and waits for the fast reader after each batch, until `done()` or the cap.
 */
async function floodSetup(topic: string) {
  const slow = await connect()
  const fast = await connect()
  const sender = await connect()
  await join(slow, topic)
  await join(slow, `${topic}-slow-marker`)
  await join(fast, topic)
  const ref = await join(sender, topic)
  const server = serverSocketOf(`${topic}-slow-marker`)
  let sent = 0
  let maxBuffered = 0
  const sample = () => {
    if (!server.closed) maxBuffered = Math.max(maxBuffered, server.ws.bufferedAmount)
  }
  const flood = async (done: () => boolean) => {
    while (!done()) {
      if (sent * FILLER.length > FLOOD_CAP_BYTES) throw new Error(`sent ${sent} broadcasts (${sent * FILLER.length} bytes) and the condition never held`)
      for (let i = 0; i < 20; i++) sender.sendJson([ref, null, topic, 'broadcast', { type: 'broadcast', event: 'flood', payload: { n: sent++, data: FILLER } }])
      const expected = sent
      await waitFor(() => received(fast).length >= expected, 15_000, `fast reader to receive ${expected} broadcasts`)
      sample()
    }
  }
  return { slow, fast, sender, server, flood, sample, sent: () => sent, maxBuffered: () => maxBuffered }
}

describe('slow consumers', () => {
  it('destroys a socket that stops reading once its unsent frames pass maxSendBufferBytes; the fast reader gets everything', async () => {
    const limit = 1_000_000
    stack.realtime.limits.maxSendBufferBytes = limit
    const { slow, fast, server, flood, sample, sent, maxBuffered } = await floodSetup('realtime:flood')
    const closedBefore = stack.realtime.stats.slowConsumersClosed
    const logsBefore = logs.length
    slow.pause()
    const sampler = setInterval(sample, 1)
    try {
      await flood(() => server.closed)
    } finally {
      clearInterval(sampler)
    }
    expect(stack.realtime.stats.slowConsumersClosed).toBe(closedBefore + 1)
    expect(stack.realtime.sockets.has(server)).toBe(false)
    expect(server.channels.size).toBe(0)
    // Several MB sit in the kernel buffers before the server holds anything; what it held stayed near the bound.
    expect(maxBuffered()).toBeGreaterThan(0)
    expect(maxBuffered()).toBeLessThanOrEqual(limit + 64 * 1024)
    expect(logs.slice(logsBefore).some((line) => line.includes('closed a slow consumer (1006)') && line.includes('maxSendBufferBytes'))).toBe(true)
    // The reader that kept up lost nothing, in order.
    const total = sent()
    await waitFor(() => received(fast).length >= total, 10_000, 'every broadcast at the fast reader')
    expect(received(fast)).toEqual(Array.from({ length: total }, (_, n) => n))
    // Its channel left the topic: the fan-out now reaches the fast reader and the sender only.
    expect(stack.realtime.restBroadcast('flood', false, { event: 'after', payload: {}, type: 'broadcast' })).toBe(2)
    // No close frame: once it reads again, the stalled client sees an abnormal close.
    slow.resume()
    expect(await slow.waitClosed(10_000)).toBe(1006)
  })

  it('destroys a socket whose backlog stays under the bound but drains nothing for sendTimeoutMs', async () => {
    const timeout = 400
    stack.realtime.limits.sendTimeoutMs = timeout
    const { slow, server, flood, maxBuffered } = await floodSetup('realtime:stall')
    const closedBefore = stack.realtime.stats.slowConsumersClosed
    const logsBefore = logs.length
    slow.pause()
    // Flood only until the kernel buffers are full and the server holds a backlog, then stop sending.
    await flood(() => server.ws.bufferedAmount > 0)
    const backlogSeenAt = Date.now()
    expect(server.closed).toBe(false)
    await waitFor(() => server.closed, 15_000, 'the stalled socket to be closed')
    // Not before the timeout (the timer may have started a moment before the test saw the backlog).
    expect(Date.now() - backlogSeenAt).toBeGreaterThanOrEqual(timeout / 2)
    expect(maxBuffered()).toBeLessThan(stack.realtime.limits.maxSendBufferBytes)
    expect(stack.realtime.stats.slowConsumersClosed).toBe(closedBefore + 1)
    expect(logs.slice(logsBefore).some((line) => line.includes('closed a slow consumer (1006)') && line.includes('sendTimeoutMs'))).toBe(true)
    slow.resume()
    expect(await slow.waitClosed(10_000)).toBe(1006)
  })

  it('keeps a socket whose backlog drains before sendTimeoutMs, and delivers it everything', async () => {
    const timeout = 1500
    stack.realtime.limits.sendTimeoutMs = timeout
    const { slow, sender, server, flood, sent } = await floodSetup('realtime:catchup')
    const closedBefore = stack.realtime.stats.slowConsumersClosed
    slow.pause()
    await flood(() => server.ws.bufferedAmount > 0)
    const backlogSeenAt = Date.now()
    slow.resume()
    const total = sent()
    await waitFor(() => received(slow).length >= total, 10_000, 'the reader to catch up')
    expect(server.ws.bufferedAmount).toBe(0)
    // Well past the timeout measured from the backlog: the watch must have stopped when the backlog drained.
    await waitFor(() => Date.now() > backlogSeenAt + 2 * timeout, 4 * timeout, 'twice the send timeout')
    expect(server.closed).toBe(false)
    expect(stack.realtime.stats.slowConsumersClosed).toBe(closedBefore)
    const ref = sender.nextRef()
    sender.sendJson([null, ref, 'realtime:catchup', 'broadcast', { type: 'broadcast', event: 'flood', payload: { n: total } }])
    await waitFor(() => received(slow).includes(total), 5000, 'a broadcast after the catch-up')
    expect(received(slow)).toEqual(Array.from({ length: total + 1 }, (_, n) => n))
  })
})
