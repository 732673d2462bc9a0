/**
 * Private rooms in the pool (issue #16) with a fake realtime client and a manual clock: what a private and a public
 * room of one topic may share, what a lost read access does, and what re-configuring a refused room does. The same
 * behaviours against the real supabase-js and the local stack: privateRooms.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { SupasyncError } from '../src/index.js'
import { fakeSupasync, FakeRealtime, flush } from './fakeRealtime.js'
import { thrown } from './helpers.js'

const lastChannel = (realtime: FakeRealtime, topic: string) => realtime.byTopic(topic).at(-1)!
const configOf = (realtime: FakeRealtime, topic: string) => (lastChannel(realtime, topic).params as { config: { private: boolean } }).config

/** Plays the server's broadcast to a channel: realtime-js calls every broadcast listener of it. */
function broadcast(channel: ReturnType<typeof lastChannel>, event: string, payload: unknown): void {
  for (const listener of channel.listeners) if (listener.type === 'broadcast') (listener.callback as (message: unknown) => void)({ event, payload })
}

const conflict = (fn: () => unknown) => {
  const error = thrown(fn)
  expect(error).toBeInstanceOf(SupasyncError)
  expect((error as SupasyncError).code).toBe('CONFIG_CONFLICT')
  return (error as SupasyncError).message
}

describe('a private and a public room of one topic', () => {
  it('cannot be held at once: asking for the other throws CONFIG_CONFLICT that says why and how to fix it', async () => {
    const { realtime, sync } = fakeSupasync()
    const publicRoom = sync.channel('room:1', { private: false })
    expect(conflict(() => sync.channel('room:1', { private: true }))).toBe(
      'Channel "room:1" is held as a public channel, so it cannot be opened as a private one now: they are different channels on the server, ' +
        'and one realtime connection carries one channel per topic. Use two topic names (e.g. "room:1" and "room:1:private"), ' +
        'or release every public holder of "room:1" first.',
    )
    publicRoom.release()
    // Any explicit options pin the room: `{ broadcast }` alone means public.
    const withOptions = sync.channel('room:2', { broadcast: { self: true } })
    expect(conflict(() => sync.channel('room:2', { private: true, broadcast: { self: true } }))).toMatch(/held as a public channel.*Use two topic names/)
    withOptions.release()
    const privateRoom = sync.channel('room:3', { private: true })
    expect(conflict(() => sync.channel('room:3', {}))).toMatch(/^Channel "room:3" is held as a private channel, so it cannot be opened as a public one now/)
    expect(conflict(() => sync.channel('room:3', { private: false }))).toMatch(/"room:3:public"/)
    // Other options of the same privacy keep the general message.
    expect(conflict(() => sync.channel('room:3', { private: true, broadcast: { ack: true } }))).toMatch(/must pass the same options/)
    await flush()
    expect(realtime.byTopic('room:3')).toHaveLength(1)
    expect(configOf(realtime, 'room:3').private).toBe(true)
    privateRoom.release()
  })

  it('a holder passing no options takes the room as it is, private included, on the same channel', async () => {
    const { realtime, sync } = fakeSupasync()
    const member = sync.channel('room:1', { private: true })
    const listener = sync.channel('room:1')
    expect(listener.isPrivate).toBe(true)
    expect(member.isPrivate).toBe(true)
    await flush()
    expect(realtime.byTopic('room:1')).toHaveLength(1)
    const got: unknown[] = []
    listener.on('note', (payload) => got.push(payload))
    lastChannel(realtime, 'room:1').joined()
    broadcast(lastChannel(realtime, 'room:1'), 'note', { n: 1 })
    expect(got).toEqual([{ n: 1 }])
  })

  it('switched by re-configuration (its holders passed no options): the old channel is left, and nothing it still delivers reaches a listener', async () => {
    const { realtime, sync } = fakeSupasync()
    const listener = sync.channel('room:1')
    const heard: unknown[] = []
    listener.on('*', (payload) => heard.push(payload))
    await flush()
    const publicChannel = lastChannel(realtime, 'room:1')
    publicChannel.joined()
    broadcast(publicChannel, 'note', 'public before')
    const member = sync.channel('room:1', { private: true })
    const memberHeard: unknown[] = []
    member.on('*', (payload) => memberHeard.push(payload))
    await flush()
    expect(publicChannel.removed).toBe(true)
    const privateChannel = lastChannel(realtime, 'room:1')
    expect(privateChannel).not.toBe(publicChannel)
    expect(configOf(realtime, 'room:1').private).toBe(true)
    // A public broadcast that was in flight while the leave went out: realtime-js still calls the old listeners.
    broadcast(publicChannel, 'note', 'public late')
    privateChannel.joined()
    broadcast(privateChannel, 'note', 'private')
    expect(heard).toEqual(['public before', 'private'])
    expect(memberHeard).toEqual(['private'])
  })

  it('released and the other privacy opened within the grace period: a new channel, the old one is not reused', async () => {
    const { realtime, sync } = fakeSupasync({ graceMs: 10_000 })
    const publicRoom = sync.channel('room:1', { private: false })
    await flush()
    const publicChannel = lastChannel(realtime, 'room:1')
    publicChannel.joined()
    publicRoom.release()
    const privateRoom = sync.channel('room:1', { private: true })
    const got: unknown[] = []
    privateRoom.on('*', (payload) => got.push(payload))
    await flush()
    expect(publicChannel.removed).toBe(true)
    expect(realtime.byTopic('room:1')).toHaveLength(2)
    expect(configOf(realtime, 'room:1').private).toBe(true)
    broadcast(publicChannel, 'note', 'public late')
    lastChannel(realtime, 'room:1').joined()
    expect(privateRoom.status.get()).toBe('joined')
    expect(got).toEqual([])
  })
})

describe('read access lost on a token refresh', () => {
  it('stops the room with UNAUTHORIZED and the server reason, waits for a token other than the refreshed one, then rejoins', async () => {
    const { realtime, errors, sync, advance } = fakeSupasync({ heartbeatIntervalMs: 1000 })
    const room = sync.channel('room:1', { private: true })
    await flush()
    lastChannel(realtime, 'room:1').joined()
    // The refresh: realtime-js pushes the new token to the joined channel, the server re-checks the policies...
    await realtime.setAuth('token-2')
    const reason = 'You no longer have permission to read from this Channel topic: room:1'
    // ...and closes the channel (system error, then phx_close).
    lastChannel(realtime, 'room:1').serverClose(reason)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'UNAUTHORIZED', reason })
    expect(errors[0]!.message).toContain(reason)
    expect(room.status.get()).toBe('errored')
    expect(room.error).toBe(errors[0])
    // token-2 is the one the server judged: no rejoin with it, however long (the join token was token-1).
    await advance(120_000)
    expect(realtime.byTopic('room:1')).toHaveLength(1)
    expect(errors).toHaveLength(1)
    await realtime.setAuth('token-3')
    await advance(1000)
    expect(realtime.byTopic('room:1')).toHaveLength(2)
    expect(configOf(realtime, 'room:1').private).toBe(true)
    lastChannel(realtime, 'room:1').joined()
    expect(room.status.get()).toBe('joined')
    expect(room.error).toBeUndefined()
  })

  it('the same for the text without "no longer" (no read access left at all)', async () => {
    const { realtime, errors, sync, advance } = fakeSupasync()
    sync.channel('room:1', { private: true })
    await flush()
    lastChannel(realtime, 'room:1').joined()
    await realtime.setAuth('token-2')
    lastChannel(realtime, 'room:1').serverClose('You do not have permissions to read from this Channel topic: room:1')
    expect(errors[0]).toMatchObject({ code: 'UNAUTHORIZED', reason: 'You do not have permissions to read from this Channel topic: room:1' })
    await advance(120_000)
    expect(realtime.byTopic('room:1')).toHaveLength(1)
  })

  it('token expiry is not a loss of access: the room is re-created with a fresh token after a short backoff', async () => {
    const { realtime, errors, sync, advance } = fakeSupasync()
    let token = 'fresh-1'
    realtime.accessToken = async () => token
    const room = sync.channel('room:1', { private: true })
    await flush()
    lastChannel(realtime, 'room:1').joined()
    token = 'fresh-2'
    lastChannel(realtime, 'room:1').serverClose('Token has expired 0 seconds ago')
    expect(errors[0]).toMatchObject({ code: 'SUBSCRIPTION_FAILED', reason: 'Token has expired 0 seconds ago' })
    await advance(1000)
    expect(realtime.byTopic('room:1')).toHaveLength(2)
    expect(realtime.accessTokenValue).toBe('fresh-2')
    lastChannel(realtime, 'room:1').joined()
    expect(room.status.get()).toBe('joined')
  })
})

describe('re-configuring a refused room', () => {
  it('a room stopped for a private refusal opens at once with the public options a holder asks for', async () => {
    const { realtime, errors, sync } = fakeSupasync()
    const member = sync.channel('room:1', { private: true })
    const listener = sync.channel('room:1')
    await flush()
    lastChannel(realtime, 'room:1').refuse('Unauthorized: You do not have permissions to read from this Channel topic: room:1')
    expect(errors[0]).toMatchObject({ code: 'UNAUTHORIZED' })
    expect(listener.error).toMatchObject({ code: 'UNAUTHORIZED' })
    // The private holder gives up; the listener stays. Someone now asks for the public room of that name.
    member.release()
    const publicRoom = sync.channel('room:1', { private: false })
    await flush()
    expect(realtime.byTopic('room:1')).toHaveLength(2)
    expect(configOf(realtime, 'room:1').private).toBe(false)
    expect(listener.error).toBeUndefined()
    lastChannel(realtime, 'room:1').joined()
    expect(publicRoom.status.get()).toBe('joined')
    expect(listener.isPrivate).toBe(false)
  })
})

describe('what a stopped private room leaves behind', () => {
  it('a room waiting for a token (refused at join, or its access lost) holds nothing once released past the grace period', async () => {
    const { realtime, sync, advance } = fakeSupasync({ graceMs: 1000 })
    const refused = sync.channel('room:1', { private: true })
    const lost = sync.channel('room:2', { private: true })
    await flush()
    lastChannel(realtime, 'room:1').refuse('Unauthorized: You do not have permissions to read from this Channel topic: room:1')
    lastChannel(realtime, 'room:2').joined()
    await realtime.setAuth('token-2')
    lastChannel(realtime, 'room:2').serverClose('You no longer have permission to read from this Channel topic: room:2')
    // The monitor's heartbeat and the token poll of the two waiting rooms.
    expect(sync.diagnostics().timers).toBe(2)
    refused.release()
    lost.release()
    await advance(1000)
    // No timer at all: neither token poll nor the monitor's heartbeat (an instance holding nothing keeps none).
    expect(sync.diagnostics()).toMatchObject({ rooms: 0, roomHolders: 0, roomListeners: 0, channels: 0, timers: 0 })
    expect(realtime.getChannels()).toEqual([])
    // A token change now wakes nothing.
    await realtime.setAuth('token-3')
    await advance(10_000)
    expect(realtime.created).toHaveLength(2)
  })
})
