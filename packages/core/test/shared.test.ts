import { describe, expect, it } from 'vitest'
import { stableKey } from '../src/index.js'
import { fakeSupasync } from './fakeRealtime.js'

describe('stableKey', () => {
  it('is equal for equal plain data, whatever the key order, and ignores keys that hold undefined', () => {
    expect(stableKey({ table: 'a', filter: { x: 1, y: [1, 'b'] } })).toBe(stableKey({ filter: { y: [1, 'b'], x: 1 }, table: 'a', schema: undefined }))
  })

  it('tells apart values JSON would merge: 1 / "1", NaN / null, array order, nested changes', () => {
    expect(stableKey({ a: 1 })).not.toBe(stableKey({ a: '1' }))
    expect(stableKey({ a: Number.NaN })).not.toBe(stableKey({ a: null }))
    expect(stableKey([1, 2])).not.toBe(stableKey([2, 1]))
    expect(stableKey({ f: { p: 1 } })).not.toBe(stableKey({ f: { p: 2 } }))
    expect(stableKey({ a: undefined })).toBe(stableKey({}))
  })

  it('keys instances (clients, caches, functions) by identity, and survives cycles', () => {
    class Client {}
    const a = new Client()
    const b = new Client()
    expect(stableKey({ client: a })).toBe(stableKey({ client: a }))
    expect(stableKey({ client: a })).not.toBe(stableKey({ client: b }))
    const f = () => 1
    expect(stableKey({ f })).not.toBe(stableKey({ f: () => 1 }))
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    expect(() => stableKey(cyclic)).not.toThrow()
  })
})

describe('sync.share', () => {
  it('creates once per key, keeps the value through the grace period and disposes it after', async () => {
    const { sync, advance } = fakeSupasync({ graceMs: 1000 })
    let created = 0
    const disposed: string[] = []
    const make = (key: string) => sync.share('thing', key, () => ({ n: ++created, key }), (value) => disposed.push(value.key))
    const first = make('a')
    const second = make('a')
    expect(second.value).toBe(first.value)
    expect(created).toBe(1)
    first.release()
    second.release()
    second.release() // idempotent: does not drop another holder's claim
    expect(sync.peekShared('thing', 'a')).toBe(first.value)
    await advance(900)
    // re-acquired within the grace period: the same value, nothing disposed (StrictMode, a route change back)
    const third = make('a')
    expect(third.value).toBe(first.value)
    await advance(5000)
    expect(disposed).toEqual([])
    third.release()
    await advance(999)
    expect(disposed).toEqual([])
    await advance(1)
    expect(disposed).toEqual(['a'])
    expect(sync.peekShared('thing', 'a')).toBeUndefined()
    expect(sync.diagnostics()).toMatchObject({ shared: 0, timers: expect.any(Number) })
    await sync.destroy()
  })

  it('release(afterMs) holds the claim longer; a create that throws registers nothing; destroy disposes held values', async () => {
    const { sync, advance } = fakeSupasync({ graceMs: 100 })
    const disposed: number[] = []
    const lease = sync.share('t', 'k', () => 1, (v) => disposed.push(v))
    lease.release(5000)
    await advance(4000)
    expect(disposed).toEqual([])
    await advance(1200)
    expect(disposed).toEqual([1])
    expect(() => sync.share('t', 'bad', () => {
      throw new Error('bad options')
    }, () => {})).toThrow('bad options')
    expect(sync.diagnostics().shared).toBe(0)
    sync.share('t', 'held', () => 2, (v) => disposed.push(v))
    await sync.destroy()
    expect(disposed).toEqual([1, 2])
    expect(sync.diagnostics()).toMatchObject({ shared: 0, timers: 0 })
  })

  it('evictShared disposes an idle value at once but never a held one', async () => {
    const { sync } = fakeSupasync()
    const disposed: number[] = []
    const lease = sync.share('t', 'k', () => 1, (v) => disposed.push(v))
    expect(sync.evictShared('t', 'k')).toBe(false)
    lease.release()
    expect(sync.evictShared('t', 'k')).toBe(true)
    expect(disposed).toEqual([1])
    await sync.destroy()
  })

  it('a failing dispose is reported, and the value is dropped anyway', async () => {
    const { sync, errors, advance } = fakeSupasync({ graceMs: 10 })
    sync.share('t', 'k', () => 1, () => {
      throw new Error('boom')
    }).release()
    await advance(100)
    expect(errors.map((e) => e.code)).toEqual(['DISPOSE_FAILED'])
    expect(sync.diagnostics().shared).toBe(0)
    await sync.destroy()
  })
})

describe('sync.channel without options', () => {
  it('joins the room with the options it already has instead of a CONFIG_CONFLICT; a new room gets {}', async () => {
    const { sync, realtime, advance } = fakeSupasync()
    const owner = sync.channel('room', { broadcast: { ack: true } })
    const listener = sync.channel('room')
    await advance(100)
    expect(realtime.subscribes).toBe(1)
    expect(() => sync.channel('room', {})).toThrow(/same options/)
    owner.release()
    listener.release()
    await sync.destroy()
  })

  it('a room whose holders passed no options takes the options of a newcomer: before its join at no cost, after it by one re-join that keeps the listeners', async () => {
    const { sync, realtime, advance } = fakeSupasync()
    const listener = sync.channel('early')
    const withPresence = sync.channel('early', { presence: { key: 'ann' } })
    await advance(100)
    expect(realtime.subscribes).toBe(1)
    expect(realtime.byTopic('early')[0]!.params).toMatchObject({ config: { presence: { key: 'ann', enabled: true } } })
    listener.release()
    withPresence.release()

    const plain = sync.channel('late')
    const got: unknown[] = []
    plain.on('ping', (payload) => got.push(payload))
    await advance(100)
    realtime.byTopic('late')[0]!.joined()
    const acking = sync.channel('late', { broadcast: { ack: true } })
    await advance(100)
    expect(realtime.subscribes).toBe(3)
    const [first, second] = realtime.byTopic('late')
    expect(first!.removed).toBe(true)
    expect(second!.params).toMatchObject({ config: { broadcast: { ack: true } } })
    second!.joined()
    for (const entry of second!.listeners) if (entry.type === 'broadcast') (entry.callback as (m: unknown) => void)({ event: 'ping', payload: 1 })
    expect(got).toEqual([1])
    // Now pinned by a holder that passed options: other options are a conflict.
    expect(() => sync.channel('late', { broadcast: { self: true } })).toThrow(/same options/)
    plain.release()
    acking.release()
    await sync.destroy()
  })
})

describe('an idle instance', () => {
  it('keeps no timer, and closes the socket it opened once nothing has been held for the grace period', async () => {
    const { sync, realtime, advance } = fakeSupasync({ graceMs: 1000, heartbeatIntervalMs: 2000 })
    expect(sync.diagnostics().timers).toBe(0)
    realtime.connected = false
    const room = sync.channel('a')
    await advance(100)
    realtime.connected = true // realtime-js opened it for the subscribe
    realtime.channels[0]!.joined()
    await advance(100)
    expect(sync.diagnostics().timers).toBeGreaterThan(0)
    room.release()
    await advance(1000) // the room's grace: the channel leaves
    expect(realtime.channels).toHaveLength(0)
    expect(realtime.disconnects).toBe(0)
    // acquired again before the idle close: nothing closes
    const again = sync.channel('b')
    await advance(100)
    realtime.channels[0]!.joined()
    again.release()
    await advance(1000)
    await advance(2100)
    expect(realtime.disconnects).toBe(1)
    expect(sync.diagnostics().timers).toBe(0)
    await sync.destroy()
  })

  it('never closes a socket the app opened or one carrying the app\'s own channels', async () => {
    const { sync, realtime, advance } = fakeSupasync({ graceMs: 100, heartbeatIntervalMs: 200 })
    const room = sync.channel('a') // the fake socket is already connected: the app's
    await advance(100)
    room.release()
    await advance(1000)
    expect(realtime.disconnects).toBe(0)
    expect(sync.diagnostics().timers).toBe(0)
    await sync.destroy()
  })
})

describe('a topic reopened while its previous room is still leaving', () => {
  it('with other options right after a release: no CONFIG_CONFLICT, and the new room joins a new channel once the leave is done', async () => {
    const { sync, realtime, advance, errors } = fakeSupasync({ graceMs: 1000 })
    // realtime-js keeps a channel listed (and hands out the same object for its topic) until the leave is acknowledged.
    let acknowledge: () => void = () => {}
    const remove = realtime.removeChannel.bind(realtime)
    let gated = true
    realtime.removeChannel = async (channel) => {
      if (gated) {
        gated = false
        await new Promise<void>((resolve) => (acknowledge = resolve))
      }
      return remove(channel)
    }
    const first = sync.channel('site', { broadcast: { ack: true } })
    await advance(100)
    realtime.channels[0]!.joined()
    first.release()
    // Within the grace period, other options: the idle room closes and a new one opens.
    const second = sync.channel('site', { broadcast: { self: true } })
    await advance(100)
    expect(realtime.subscribes).toBe(1) // not yet: the old channel is still leaving
    acknowledge()
    await advance(100)
    expect(realtime.subscribes).toBe(2)
    const [old, renewed] = realtime.byTopic('site')
    expect(renewed).not.toBe(old)
    expect(renewed!.params).toMatchObject({ config: { broadcast: { self: true } } })
    expect(errors).toEqual([])
    second.release()
    await sync.destroy()
  })
})
