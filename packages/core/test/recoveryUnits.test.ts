/**
 * The pool's recovery decisions with a fake realtime client and a manual clock (issue #10, points 5, 6, 9, 10):
 * which channel errors count toward the breaker, what a refusal reports and when it is retried, what destroy()
 * leaves behind, and who gives up a channel slot.
 */
import { describe, expect, it } from 'vitest'
import { SupasyncError } from '../src/index.js'
import { fakeSupasync, FakeRealtime, flush } from './fakeRealtime.js'

const setup = fakeSupasync

const lastChannel = (realtime: FakeRealtime, topic: string) => realtime.byTopic(topic).at(-1)!

describe('a dead socket is not a refusal (#10.5)', () => {
  it('socket errors and join timeouts on an unproven socket never re-create the room nor open its breaker', async () => {
    const { realtime, errors, sync, advance } = setup({ breakerThreshold: 2 })
    const room = sync.channel('r')
    await flush()
    lastChannel(realtime, 'r').joined()
    // Ten errors of a silently dead socket, as realtime-js reports them while the socket is still "connected".
    for (let index = 0; index < 5; index++) {
      realtime.heartbeatTimeout()
      lastChannel(realtime, 'r').socketError('heartbeat timeout')
      await advance(1000)
      lastChannel(realtime, 'r').timedOut()
      await advance(1000)
    }
    expect(room.status.get()).toBe('errored')
    expect(realtime.byTopic('r')).toHaveLength(1)
    expect(errors).toEqual([])
    // realtime-js rejoins it on reconnect: live again at once, no circuit to wait out.
    lastChannel(realtime, 'r').joined()
    expect(room.status.get()).toBe('joined')
  })

  it('the same for a changes channel: its lease is live again on the rejoin', async () => {
    const { realtime, errors, sync, advance } = setup({ breakerThreshold: 2 })
    const lease = sync.changes({ table: 'components' }, () => {})
    await flush()
    const channel = realtime.created[0]!
    channel.joined()
    channel.system({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL' })
    expect(lease.status.get()).toBe('live')
    for (let index = 0; index < 5; index++) {
      channel.socketError('socket closed: 1006')
      await advance(1000)
      channel.timedOut()
      await advance(1000)
    }
    expect(realtime.created).toHaveLength(1)
    expect(errors).toEqual([])
    channel.joined()
    channel.system({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL' })
    expect(lease.status.get()).toBe('live')
  })

  it('a join that times out while the socket answers heartbeats does count, and is retried with backoff', async () => {
    const { realtime, errors, sync, advance } = setup()
    sync.channel('r')
    await flush()
    await realtime.sendHeartbeat()
    realtime.heartbeatOk()
    lastChannel(realtime, 'r').timedOut()
    expect(errors[0]?.code).toBe('SUBSCRIPTION_FAILED')
    await advance(1000)
    expect(realtime.byTopic('r')).toHaveLength(2)
  })
})

describe('refusals carry the server reason and stop when retrying cannot help (#10.6)', () => {
  it('a transient refusal is retried with backoff and its message names the server reason', async () => {
    const { realtime, errors, sync, advance } = setup()
    sync.channel('r')
    await flush()
    lastChannel(realtime, 'r').refuse('RealtimeRestarting: Realtime is restarting, please standby')
    expect(errors[0]?.code).toBe('SUBSCRIPTION_FAILED')
    expect(errors[0]?.message).toMatch(/RealtimeRestarting: Realtime is restarting/)
    expect(errors[0]?.reason).toBe('RealtimeRestarting: Realtime is restarting, please standby')
    await advance(1000)
    expect(realtime.byTopic('r')).toHaveLength(2)
  })

  it('Unauthorized stops the room (no loop) with code UNAUTHORIZED, and a new token retries it', async () => {
    const { realtime, errors, sync, advance } = setup()
    const room = sync.channel('secret', { private: true })
    await flush()
    const reason = 'Unauthorized: You do not have permissions to read from this Channel topic: secret'
    lastChannel(realtime, 'secret').refuse(reason)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'UNAUTHORIZED', reason })
    expect(errors[0]!.message).toContain(reason)
    expect(errors[0]!.message).toMatch(/setAuth/)
    // realtime-js's own rejoin loop is stopped too: the channel is gone.
    expect(lastChannel(realtime, 'secret').removed).toBe(true)
    await advance(120_000)
    expect(realtime.byTopic('secret')).toHaveLength(1)
    expect(room.status.get()).toBe('errored')
    // The app signs in as someone allowed: the room joins again with that token.
    await realtime.setAuth('token-2')
    await advance(5000)
    expect(realtime.byTopic('secret')).toHaveLength(2)
    lastChannel(realtime, 'secret').joined()
    expect(room.status.get()).toBe('joined')
    expect(sync.diagnostics().timers).toBe(1)
  })

  it('a newer token from the accessToken callback retries a refused changes channel', async () => {
    const { realtime, errors, sync, advance } = setup()
    let token = 'token-1'
    realtime.accessToken = async () => token
    const lease = sync.changes({ table: 'components' }, () => {})
    await flush()
    realtime.created[0]!.refuse('InvalidJWTToken: Token has expired 3 seconds ago')
    expect(errors[0]).toMatchObject({ code: 'UNAUTHORIZED' })
    await advance(60_000)
    expect(realtime.created).toHaveLength(1)
    token = 'token-2'
    await advance(5000)
    expect(realtime.created).toHaveLength(2)
    realtime.created[1]!.joined()
    realtime.created[1]!.system({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL' })
    expect(lease.status.get()).toBe('live')
  })

  it('a permanent refusal stops with JOIN_REFUSED and the reason; re-acquiring the room asks again', async () => {
    const { realtime, errors, sync, advance } = setup()
    const room = sync.channel('r')
    await flush()
    lastChannel(realtime, 'r').refuse('TenantNotFound: Tenant with the given ID does not exist')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'JOIN_REFUSED', reason: 'TenantNotFound: Tenant with the given ID does not exist' })
    await advance(300_000)
    expect(realtime.byTopic('r')).toHaveLength(1)
    expect(room.status.get()).toBe('errored')
    const again = sync.channel('r')
    await flush()
    expect(realtime.byTopic('r')).toHaveLength(2)
    again.release()
  })

  it('a permanent refusal of a changes channel fails its leases with the reason', async () => {
    const { realtime, sync } = setup()
    const got: SupasyncError[] = []
    const lease = sync.changes({ table: 'components' }, () => {}, { onError: (error) => got.push(error) })
    await flush()
    realtime.created[0]!.refuse('RealtimeDisabledForTenant: Realtime disabled for this tenant')
    expect(lease.status.get()).toBe('error')
    expect(got[0]).toMatchObject({ code: 'JOIN_REFUSED', reason: 'RealtimeDisabledForTenant: Realtime disabled for this tenant' })
  })

  it('a channel the server closes right after every join backs off more each time (SUBSCRIBED does not reset it)', async () => {
    const { realtime, errors, sync, advance } = setup()
    sync.channel('r')
    await flush()
    const started = realtime.byTopic('r').length
    // 15 s of a server that shuts the channel down as soon as it is joined.
    for (let elapsed = 0; elapsed < 15_000; elapsed += 100) {
      const channel = lastChannel(realtime, 'r')
      if (channel.state === 'joining') {
        channel.joined()
        channel.serverClose('Too many messages per second')
      }
      await advance(100)
    }
    const joins = realtime.byTopic('r').length - started + 1
    // Backoff 0.5–1, 1–2, 2–4, 4–8 s, then the open circuit (30–60 s): at most 5 joins, not one per second.
    expect(joins).toBeLessThanOrEqual(5)
    expect(errors.every((error) => error.message.includes('Too many messages per second'))).toBe(true)
    expect(errors[0]?.reason).toBe('Too many messages per second')
  })

  it('a presence shutdown is passed to the presence listeners with the reason', async () => {
    const { realtime, sync } = setup()
    const room = sync.channel('p', { presence: { key: 'me' } })
    const events: unknown[] = []
    room.onPresence((event) => events.push(event))
    await flush()
    lastChannel(realtime, 'p').joined()
    lastChannel(realtime, 'p').serverClose('Track message size exceeded')
    expect(events).toContainEqual({ event: 'refused', reason: 'Track message size exceeded' })
  })
})

describe('destroy() leaves nothing running (#10.9)', () => {
  it('disconnects a socket supasync opened when no channel of the app remains, and gives the heartbeat callback back', async () => {
    const { realtime, sync } = setup()
    const original = realtime.originalHeartbeatCallback
    realtime.connected = false
    sync.channel('r')
    await flush()
    realtime.connected = true
    expect(realtime.socketAdapter.heartbeatCallback).not.toBe(original)
    await sync.destroy()
    expect(realtime.disconnects).toBe(1)
    expect(realtime.socketAdapter.heartbeatCallback).toBe(original)
  })

  it('keeps the socket when the app has channels of its own on the client, or opened the socket itself', async () => {
    const first = setup()
    first.realtime.connected = false
    first.sync.channel('r')
    await flush()
    first.realtime.channel('app-own')
    await first.sync.destroy()
    expect(first.realtime.disconnects).toBe(0)

    const second = setup()
    second.sync.channel('r') // the socket was already open: the app's
    await flush()
    await second.sync.destroy()
    expect(second.realtime.disconnects).toBe(0)
  })
})

describe('released rooms give their slot up (#10.10)', () => {
  it('a new room evicts the oldest released room in its grace period instead of throwing CHANNEL_LIMIT', async () => {
    const { realtime, sync, advance } = setup({ maxChannels: 3, graceMs: 60_000 })
    const a = sync.channel('a')
    await advance(100)
    const b = sync.channel('b')
    await flush()
    a.release()
    await advance(100)
    b.release()
    const c = sync.channel('c')
    expect(lastChannel(realtime, 'a').removed).toBe(true)
    expect(lastChannel(realtime, 'b').removed).toBe(false)
    expect(sync.diagnostics().rooms).toBe(2)
    expect(() => sync.channel('d')).not.toThrow()
    expect(lastChannel(realtime, 'b').removed).toBe(true)
    // Held rooms are never evicted.
    expect(() => sync.channel('e')).toThrow(/CHANNEL_LIMIT|maxChannels=3/)
    c.release()
  })

  it('a changes lease evicts a released room in its grace period', async () => {
    const { realtime, sync } = setup({ maxChannels: 2, graceMs: 60_000 })
    sync.channel('a').release()
    await flush()
    const lease = sync.changes({ table: 'components' }, () => {})
    await flush()
    expect(lastChannel(realtime, 'a').removed).toBe(true)
    expect(lease.status.get()).toBe('pending')
    expect(realtime.created.some((channel) => channel.topic.startsWith('realtime:supasync:'))).toBe(true)
  })
})
