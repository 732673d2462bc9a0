/**
 * A newcomer's first hour (issue #11, point 8), with a fake realtime client and a manual clock: the status while
 * the first channel opens, one report per error, the fix in a publication refusal, and a socket opening that never
 * ends (Node 22's built-in WebSocket after a dropped handshake).
 */
import { describe, expect, it } from 'vitest'
import type { SupasyncError } from '../src/index.js'
import { fakeSupasync, flush } from './fakeRealtime.js'

const setup = fakeSupasync

const NOT_PUBLISHED =
  'Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [event: *, schema: public, table: orders, filters: [], select: nil]'

describe('sync.status on app start', () => {
  it("is 'connecting', never 'degraded', while the first channel opens; 'degraded' only after it was live", async () => {
    const { realtime, sync, advance } = setup({ heartbeatIntervalMs: 1000 })
    realtime.connected = false
    const seen: string[] = []
    sync.status.subscribe((status) => seen.push(status.state))
    expect(sync.status.get().state).toBe('live') // idle: nothing can be late
    const room = sync.channel('first')
    await flush()
    expect(sync.status.get().state).toBe('connecting')
    await advance(500)
    realtime.connected = true
    realtime.byTopic('first').at(-1)!.joined()
    await advance(100)
    realtime.heartbeatOk()
    await advance(100)
    expect(sync.status.get().state).toBe('live')
    expect(seen).not.toContain('degraded')
    // Now it has been live: a lost socket is 'degraded' (reconnecting), not 'connecting'.
    realtime.heartbeatTimeout()
    await flush()
    expect(sync.status.get().state).toBe('degraded')
    room.release()
  })
})

describe('a refused subscription', () => {
  it("is reported once: to the lease's onError when it has one, else to sync.onError", async () => {
    const { realtime, errors, sync } = setup()
    const own: SupasyncError[] = []
    const lease = sync.changes({ table: 'orders' }, () => {}, { onError: (error) => own.push(error) })
    await flush()
    const channel = realtime.created.at(-1)!
    channel.joined()
    channel.system({ extension: 'postgres_changes', status: 'error', message: NOT_PUBLISHED })
    await flush()
    expect(lease.status.get()).toBe('error')
    expect(own).toHaveLength(1)
    expect(errors).toEqual([])

    const plain = sync.changes({ table: 'invoices' }, () => {})
    await flush()
    const next = realtime.created.at(-1)!
    next.joined()
    next.system({ extension: 'postgres_changes', status: 'error', message: NOT_PUBLISHED.replace('orders', 'invoices') })
    await flush()
    expect(plain.status.get()).toBe('error')
    expect(errors.filter((error) => error.code === 'SUBSCRIPTION_FAILED')).toHaveLength(1)
  })

  it('outside the publication: the message carries the server text and the fix', async () => {
    const { realtime, errors, sync } = setup()
    sync.changes({ schema: 'sales', table: 'Orders' }, () => {})
    await flush()
    const channel = realtime.created.at(-1)!
    channel.joined()
    channel.system({ extension: 'postgres_changes', status: 'error', message: NOT_PUBLISHED.replace('public', 'sales').replace('orders', 'Orders') })
    await flush()
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toContain('Please check Realtime is enabled')
    expect(errors[0]!.message).toContain('Fix: add the table to the publication: alter publication supabase_realtime add table sales."Orders";')
  })
})

describe('a socket opening that never ends', () => {
  it('is torn down after two heartbeat intervals and opened again', async () => {
    const { realtime, sync, advance } = setup({ heartbeatIntervalMs: 1000 })
    const room = sync.channel('r')
    await flush()
    realtime.byTopic('r').at(-1)!.joined()
    // The socket died; realtime-js's reconnect attempt hangs in CONNECTING (no 'close' ever fires).
    realtime.connected = false
    realtime.connecting = true
    let reconnects = 0
    realtime.connect = () => {
      reconnects++
      realtime.connected = true
    }
    const disconnect = realtime.disconnect.bind(realtime)
    realtime.disconnect = async () => {
      realtime.connecting = false
      return disconnect()
    }
    // Noticed at the next tick (1 s), given two intervals from there.
    await advance(2500)
    expect(realtime.disconnects).toBe(0)
    await advance(1000)
    expect(realtime.disconnects).toBe(1)
    expect(reconnects).toBe(1)
    expect(realtime.isConnected()).toBe(true)
    expect(sync.metrics().counters.stuckConnects).toBe(1)
    room.release()
  })

  it('a connecting socket without channels, or offline, is left alone', async () => {
    const { realtime, advance } = setup({ heartbeatIntervalMs: 1000 })
    realtime.connected = false
    realtime.connecting = true
    await advance(5000)
    expect(realtime.disconnects).toBe(0)
  })
})
