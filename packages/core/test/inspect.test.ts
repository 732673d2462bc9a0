/**
 * sync.inspect() / sync.subscribeInspect() (issue #17 point 1) with a fake realtime client and a manual clock: what a
 * snapshot shows of the connection and every channel, that a quiet read hands out the same object (and builds
 * nothing), that only what changed is rebuilt, the registration API the packages built on core use, privacy, and
 * that everything is gone after destroy().
 */
import { describe, expect, it, vi } from 'vitest'
import type { InspectChannel, InspectDeadLetterActions, InspectQueue, InspectRegistration, InspectSnapshot } from '../src/index.js'
import { fakeSupasync, flush } from './fakeRealtime.js'

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdXNlciJ9.c2lnbmF0dXJl'

/** The channel entry of `topic` in a snapshot. */
const channelOf = (snapshot: InspectSnapshot, topic: string) => snapshot.channels.find((channel) => channel.topic === topic)

/** Plays a broadcast from the server on every broadcast listener of the fake channel. */
function broadcast(channel: { listeners: { type: string; callback: (...args: never[]) => void }[] }, event: string, payload: unknown) {
  for (const listener of channel.listeners) if (listener.type === 'broadcast') (listener.callback as (message: unknown) => void)({ event, payload })
}

function queueEntry(id: string, overrides: Partial<InspectQueue> = {}): InspectQueue {
  return { id, name: 'outbox', storage: 'memory', pending: 0, failed: 0, flushing: false, oldestPendingAt: undefined, pendingWrites: [], deadLetters: [], lastError: undefined, ...overrides }
}

describe('sync.inspect()', () => {
  it('reports an idle instance, and hands out the same object while nothing changes', async () => {
    const { sync, clock } = fakeSupasync({ maxChannels: 50, heartbeatIntervalMs: 2000 })
    clock.advance(1000)
    const first = sync.inspect()
    expect(first).toEqual({
      version: 1,
      takenAt: 1000,
      connection: {
        state: 'live',
        since: 0,
        rttMs: undefined,
        socketProven: false,
        heartbeatAt: undefined,
        heartbeatIntervalMs: 2000,
        reconnects: 0,
        heartbeatTimeouts: 0,
        channels: 0,
        maxChannels: 50,
        leases: 0,
      },
      channels: [],
      liveTables: [],
      queues: [],
      presence: [],
    })
    clock.advance(5000)
    await flush()
    for (let index = 0; index < 1000; index++) expect(sync.inspect()).toBe(first)
    await sync.destroy()
  })

  it('shows a room: status, holders, listeners per broadcast event, joins, the last event by name and time only', async () => {
    const { sync, realtime, clock } = fakeSupasync()
    const room = sync.channel('wedding:42')
    const other = sync.channel('wedding:42')
    await flush()
    expect(channelOf(sync.inspect(), 'wedding:42')).toMatchObject({ kind: 'room', private: false, status: 'joining', holders: 2, joins: 0, joinedAt: undefined, lastEvent: undefined })
    clock.advance(250)
    realtime.byTopic('wedding:42').at(-1)!.joined()
    room.on('running-late', () => undefined)
    room.on('running-late', () => undefined)
    other.on('*', () => undefined)
    let entry = channelOf(sync.inspect(), 'wedding:42')!
    expect(entry).toMatchObject({ status: 'joined', joins: 1, joinedAt: 250, error: undefined })
    expect(entry.bindings).toEqual([
      { type: 'broadcast', event: 'running-late', listeners: 2 },
      { type: 'broadcast', event: '*', listeners: 1 },
    ])
    clock.advance(100)
    broadcast(realtime.byTopic('wedding:42').at(-1)!, 'running-late', { minutes: 'secret-payload-15' })
    const snapshot = sync.inspect()
    entry = channelOf(snapshot, 'wedding:42')!
    expect(entry.lastEvent).toEqual({ type: 'broadcast', name: 'running-late', at: 350 })
    expect(JSON.stringify(snapshot)).not.toContain('secret-payload')

    other.release()
    expect(channelOf(sync.inspect(), 'wedding:42')).toMatchObject({ holders: 1, bindings: [{ type: 'broadcast', event: 'running-late', listeners: 2 }] })
    room.release()
    expect(channelOf(sync.inspect(), 'wedding:42')).toMatchObject({ status: 'leaving', holders: 0, bindings: [] })
    clock.advance(1000)
    await flush()
    expect(sync.inspect().channels).toEqual([])
    await sync.destroy()
  })

  it('shows the changes pool: one channel with its bindings and their leases, the last change without its row', async () => {
    const { sync, realtime, clock } = fakeSupasync()
    const leases = [
      sync.changes({ table: 'components', filter: 'project_id=eq.1' }, () => undefined),
      sync.changes({ table: 'components', filter: 'project_id=eq.1' }, () => undefined),
      sync.changes({ table: 'notes', event: 'INSERT' }, () => undefined),
    ]
    await flush()
    const channel = realtime.channels.find((candidate) => candidate.topic.startsWith('realtime:supasync:'))!
    const topic = channel.topic.slice('realtime:'.length)
    expect(channelOf(sync.inspect(), topic)).toEqual({
      topic,
      kind: 'changes',
      private: false,
      status: 'joining',
      holders: 3,
      bindings: [
        { type: 'postgres_changes', schema: 'public', table: 'components', event: '*', filter: 'project_id=eq.1', leases: 2 },
        { type: 'postgres_changes', schema: 'public', table: 'notes', event: 'INSERT', filter: undefined, leases: 1 },
      ],
      joins: 0,
      joinedAt: undefined,
      lastEvent: undefined,
      error: undefined,
    } satisfies InspectChannel)
    channel.joined()
    channel.system({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL' })
    expect(channelOf(sync.inspect(), topic)).toMatchObject({ status: 'joined', joins: 1, lastEvent: { type: 'system', name: 'postgres_changes' } })
    clock.advance(40)
    const deliver = channel.listeners.find((listener) => listener.type === 'postgres_changes' && listener.filter.table === 'components')!.callback as (payload: unknown) => void
    deliver({ schema: 'public', table: 'components', commit_timestamp: new Date(clock.now()).toISOString(), eventType: 'INSERT', new: { id: 1, tag: 'secret-row-value' }, old: {}, errors: null })
    const snapshot = sync.inspect()
    expect(channelOf(snapshot, topic)!.lastEvent).toEqual({ type: 'postgres_changes', name: 'INSERT public.components', at: 40 })
    expect(JSON.stringify(snapshot)).not.toContain('secret-row-value')
    expect(snapshot.connection).toMatchObject({ channels: 1, leases: 3 })

    leases[0]!.release()
    expect(channelOf(sync.inspect(), topic)).toMatchObject({ holders: 2, bindings: [{ leases: 1 }, { leases: 1 }] })
    await sync.destroy()
  })

  it('rebuilds only the channel that changed: the other entries keep their identity', async () => {
    const { sync, realtime } = fakeSupasync()
    sync.channel('a')
    sync.channel('b')
    await flush()
    const before = sync.inspect()
    broadcast(realtime.byTopic('b').at(-1)!, 'ping', null)
    const after = sync.inspect()
    expect(after).not.toBe(before)
    expect(channelOf(after, 'a')).toBe(channelOf(before, 'a'))
    expect(channelOf(after, 'b')).not.toBe(channelOf(before, 'b'))
    expect(after.connection).toBe(before.connection)
    expect(after.liveTables).toBe(before.liveTables)
    await sync.destroy()
  })

  it("shows a refusal with the server's reason, and clears it once the channel joins again", async () => {
    const { sync, realtime, advance } = fakeSupasync()
    const vault = sync.channel('vault', { private: true })
    await flush()
    realtime.byTopic('vault').at(-1)!.refuse('Unauthorized: You do not have permissions to read from this Channel topic: vault')
    expect(channelOf(sync.inspect(), 'vault')).toMatchObject({
      private: true,
      status: 'errored',
      error: { code: 'UNAUTHORIZED', message: expect.stringContaining('You do not have permissions to read from this Channel topic: vault') },
    })
    await realtime.setAuth('another-token')
    await advance(5000)
    realtime.byTopic('vault').at(-1)!.joined()
    expect(channelOf(sync.inspect(), 'vault')).toMatchObject({ status: 'joined', error: undefined, joins: 1 })
    vault.release()
    await sync.destroy()
  })

  it('shows heartbeats, round trip, heartbeat timeouts and reconnects', async () => {
    const { sync, realtime, clock } = fakeSupasync()
    sync.channel('room')
    await flush()
    realtime.byTopic('room').at(-1)!.joined()
    clock.advance(300)
    realtime.heartbeatOk(12)
    expect(sync.inspect().connection).toMatchObject({ state: 'live', rttMs: 12, socketProven: true, heartbeatAt: 300, channels: 1, leases: 1, since: 300 })
    realtime.heartbeatTimeout()
    expect(sync.inspect().connection.heartbeatTimeouts).toBe(1)
    realtime.connected = false
    realtime.byTopic('room').at(-1)!.socketError()
    expect(sync.inspect().connection.reconnects).toBe(0)
    realtime.connected = true
    realtime.byTopic('room').at(-1)!.joined()
    const connection = sync.inspect().connection
    expect(connection.reconnects).toBe(1)
    expect(sync.inspect().channels[0]).toMatchObject({ joins: 2 })
    expect(sync.metrics().counters.reconnects).toBe(1)
    await sync.destroy()
  })

  it('never shows the access token, broadcast payloads or presence states', async () => {
    const { sync, realtime } = fakeSupasync()
    await realtime.setAuth(TOKEN)
    const room = sync.channel('wedding:7', { presence: { key: 'ann' } })
    room.onPresence(() => undefined)
    room.on('note', () => undefined)
    await flush()
    const channel = realtime.byTopic('wedding:7').at(-1)!
    channel.joined()
    broadcast(channel, 'note', { text: 'secret-broadcast' })
    channel.presenceEvent('join', { key: 'bob', newPresences: [{ state: { phone: 'secret-presence-state' } }] })
    const snapshot = sync.inspect()
    expect(channelOf(snapshot, 'wedding:7')).toMatchObject({ lastEvent: { type: 'presence', name: 'join' }, bindings: [{ type: 'broadcast', event: 'note', listeners: 1 }, { type: 'presence', listeners: 1 }] })
    const text = JSON.stringify(snapshot)
    expect(text).not.toContain(TOKEN)
    expect(text).not.toContain('secret-user')
    expect(text).not.toMatch(/secret-(broadcast|presence)/)
    await sync.destroy()
  })
})

describe('sync.subscribeInspect()', () => {
  it('calls the listener once per burst of changes, never for nothing, and stops on unsubscribe', async () => {
    const { sync, realtime } = fakeSupasync()
    const listener = vi.fn()
    const off = sync.subscribeInspect(listener)
    expect(sync.diagnostics().inspectListeners).toBe(1)
    const room = sync.channel('room')
    room.on('a', () => undefined)
    room.on('b', () => undefined)
    expect(listener).not.toHaveBeenCalled()
    await Promise.resolve()
    expect(listener).toHaveBeenCalledTimes(1)
    await flush()
    listener.mockClear()
    sync.inspect()
    await flush()
    expect(listener).not.toHaveBeenCalled()
    broadcast(realtime.byTopic('room').at(-1)!, 'a', 1)
    await flush()
    expect(listener).toHaveBeenCalledTimes(1)
    off()
    off()
    expect(sync.diagnostics().inspectListeners).toBe(0)
    broadcast(realtime.byTopic('room').at(-1)!, 'a', 2)
    await flush()
    expect(listener).toHaveBeenCalledTimes(1)
    await sync.destroy()
  })

  it('keeps two subscriptions of one function apart, survives a throwing listener, and rejects a non-function', async () => {
    const { sync } = fakeSupasync()
    const thrown: unknown[] = []
    const onUncaught = (error: unknown) => thrown.push(error)
    process.on('uncaughtException', onUncaught)
    try {
      const listener = vi.fn()
      const reference = vi.fn()
      const offFirst = sync.subscribeInspect(listener)
      sync.subscribeInspect(listener)
      sync.subscribeInspect(() => {
        throw new Error('broken panel')
      })
      sync.subscribeInspect(reference)
      offFirst()
      sync.channel('room')
      await flush()
      // The second subscription of the same function still hears every burst the reference hears.
      expect(reference).toHaveBeenCalled()
      expect(listener).toHaveBeenCalledTimes(reference.mock.calls.length)
      expect(thrown.some((error) => error instanceof Error && error.message === 'broken panel')).toBe(true)
      expect(() => sync.subscribeInspect('nope' as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
      await sync.destroy()
    } finally {
      process.off('uncaughtException', onUncaught)
    }
  })
})

describe('sync.registerInspect() (for the packages built on core)', () => {
  it('calls a provider only to build a snapshot, hands back its previous entry until changed(), and unregisters', async () => {
    const { sync } = fakeSupasync()
    let pending = 0
    const provider = vi.fn((_takenAt: number, previous: InspectQueue | undefined) => previous ?? queueEntry(registration.id, { pending }))
    const registration: InspectRegistration = sync.registerInspect('queue', provider)
    expect(registration.id).toMatch(/^queue-\d+$/)
    expect(provider).not.toHaveBeenCalled()
    const first = sync.inspect()
    expect(first.queues).toEqual([queueEntry(registration.id)])
    expect(provider).toHaveBeenCalledTimes(1)
    expect(provider.mock.calls[0]![1]).toBeUndefined()
    for (let index = 0; index < 100; index++) sync.inspect()
    expect(provider).toHaveBeenCalledTimes(1)

    // Another part changed: the provider is asked with its previous entry, and the section keeps its identity.
    sync.channel('room')
    const second = sync.inspect()
    expect(second).not.toBe(first)
    expect(provider).toHaveBeenCalledTimes(2)
    expect(provider.mock.calls[1]![1]).toBe(first.queues[0])
    expect(second.queues).toBe(first.queues)

    pending = 3
    registration.changed()
    const third = sync.inspect()
    expect(provider.mock.calls[2]![1]).toBeUndefined()
    expect(third.queues[0]!.pending).toBe(3)
    expect(sync.diagnostics().inspectRegistrations).toBe(1)

    registration.unregister()
    registration.unregister()
    registration.changed()
    expect(sync.inspect().queues).toEqual([])
    expect(sync.diagnostics().inspectRegistrations).toBe(0)
    await sync.destroy()
  })

  it('routes dead-letter actions to the queue by its registration id; an unknown queue is UNKNOWN_QUEUE', async () => {
    const { sync } = fakeSupasync()
    const actions: InspectDeadLetterActions = { retry: vi.fn(async () => undefined), discard: vi.fn(async () => undefined) }
    const other: InspectRegistration = sync.registerInspect('queue', (_takenAt, previous) => previous ?? queueEntry(other.id))
    const registration: InspectRegistration = sync.registerInspect('queue', (_takenAt, previous) => previous ?? queueEntry(registration.id), actions)
    await sync.inspectActions.retryDeadLetter(registration.id, 'entry-1')
    await sync.inspectActions.discardDeadLetter(registration.id, 'entry-2')
    expect(actions.retry).toHaveBeenCalledWith('entry-1')
    expect(actions.discard).toHaveBeenCalledWith('entry-2')
    await expect(sync.inspectActions.retryDeadLetter(other.id, 'entry-1')).rejects.toMatchObject({ code: 'UNKNOWN_QUEUE' })
    await expect(sync.inspectActions.retryDeadLetter('queue-999', 'entry-1')).rejects.toMatchObject({ code: 'UNKNOWN_QUEUE', message: expect.stringContaining('sync.inspect().queues') })
    const failing: InspectRegistration = sync.registerInspect('queue', (_takenAt, previous) => previous ?? queueEntry(failing.id), {
      retry: () => Promise.reject(new Error('No dead letter with id "x".')),
      discard: () => {
        throw new Error('thrown, not rejected')
      },
    })
    await expect(sync.inspectActions.retryDeadLetter(failing.id, 'x')).rejects.toThrow('No dead letter')
    await expect(sync.inspectActions.discardDeadLetter(failing.id, 'x')).rejects.toThrow('thrown, not rejected')
    await sync.destroy()
  })

  it('refuses bad input with the fix, and keeps answering after a provider failed once', async () => {
    const { sync } = fakeSupasync()
    expect(() => sync.registerInspect('tables' as never, (() => queueEntry('x')) as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining("'liveTable', 'queue', 'presence'") }))
    expect(() => sync.registerInspect('queue', undefined as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
    expect(() => sync.registerInspect('presence', () => ({ topic: 't', selfKey: undefined, members: [] }), { retry: async () => {}, discard: async () => {} })).toThrow(/queues only/)
    let broken = true
    sync.registerInspect('presence', () => {
      if (broken) throw new Error('provider bug')
      return { topic: 't', selfKey: undefined, members: [] }
    })
    expect(() => sync.inspect()).toThrow('provider bug')
    broken = false
    expect(sync.inspect().presence).toEqual([{ topic: 't', selfKey: undefined, members: [] }])
    await sync.destroy()
  })
})

describe('destroy()', () => {
  it('brings every count of the snapshot and every inspect listener and registration back to zero', async () => {
    const { sync, realtime } = fakeSupasync()
    const listener = vi.fn()
    sync.subscribeInspect(listener)
    const room = sync.channel('room', { presence: { key: 'me' } })
    room.on('x', () => undefined)
    room.onPresence(() => undefined)
    sync.changes({ table: 'components' }, () => undefined)
    sync.registerInspect('liveTable', (takenAt) => ({
      id: 'liveTable-x', schema: 'public', table: 'components', filter: {}, source: 'postgres_changes', mode: 'realtime', lastSyncedAt: takenAt,
      stalenessMs: 0, maxStalenessMs: 30_000, rows: 10, holders: 1, polls: 1, failedPolls: 0, lastPollAt: takenAt, missedByRealtime: 0, error: undefined,
    }))
    sync.registerInspect('queue', (_takenAt, previous) => previous ?? queueEntry('q'))
    sync.registerInspect('presence', (_takenAt, previous) => previous ?? { topic: 'room', selfKey: 'me', members: [] })
    await flush()
    for (const channel of realtime.channels) channel.joined()
    const before = sync.inspect()
    expect([before.channels.length, before.liveTables.length, before.queues.length, before.presence.length]).toEqual([2, 1, 1, 1])
    expect(before.connection).toMatchObject({ channels: 2, leases: 2 })
    listener.mockClear()

    await sync.destroy()
    // Told of the end (the panel redraws an empty instance), then dropped: nothing reaches it any more.
    expect(listener).toHaveBeenCalled()
    const calls = listener.mock.calls.length
    await flush()
    expect(listener).toHaveBeenCalledTimes(calls)
    const after = sync.inspect()
    expect(after).toMatchObject({ channels: [], liveTables: [], queues: [], presence: [], connection: { state: 'offline', channels: 0, leases: 0, socketProven: false } })
    expect(sync.diagnostics()).toMatchObject({ inspectListeners: 0, inspectRegistrations: 0, rooms: 0, channels: 0, timers: 0 })
    expect(() => sync.subscribeInspect(() => undefined)).toThrow(expect.objectContaining({ code: 'DESTROYED' }))
    const late = sync.registerInspect('queue', () => queueEntry('late'))
    late.changed()
    expect(sync.inspect().queues).toEqual([])
    expect(sync.inspect()).toBe(sync.inspect())
  })
})
