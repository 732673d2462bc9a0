/**
 * Presence rooms in sync.inspect() (issue #17 point 1), on a real supasync instance over the fake realtime client
 * and a manual clock: members by key with status, connections, typing, self and last seen, never the state they
 * publish; the entry keeps its identity while the room is quiet; it leaves with the room and with the instance.
 */
import { describe, expect, it } from 'vitest'
import { fakeSupasync, flush } from '../../core/test/fakeRealtime.js'
import { createPresence } from '../src/index.js'

/** The server's presence state after bob joined on two tabs (one typing) and ann's own track arrived. */
function serverState(annConn: string) {
  return {
    ann: [{ presence_ref: 'r-ann', conn: annConn, state: { phone: 'secret-ann-phone' }, away: false, typing: false, at: 1 }],
    bob: [
      { presence_ref: 'r-bob-1', conn: 'bob-tab-1', state: { phone: 'secret-bob-phone' }, away: false, typing: true, at: 1 },
      { presence_ref: 'r-bob-2', conn: 'bob-tab-2', state: { phone: 'secret-bob-phone' }, away: false, typing: false, at: 1 },
    ],
  }
}

describe('presence rooms in sync.inspect()', () => {
  it('shows members by key without their state, keeps the entry while quiet, and leaves with the room', async () => {
    const { sync, realtime, clock } = fakeSupasync({ graceMs: 1000 })
    clock.advance(10_000)
    const room = createPresence(sync, 'wedding:42', { key: 'ann', state: { phone: 'secret-ann-phone' } })
    await flush()
    let entry = sync.inspect().presence
    expect(entry).toEqual([{ topic: 'wedding:42', selfKey: 'ann', members: [] }])
    const channel = realtime.byTopic('wedding:42').at(-1)!
    const tracked: { conn: string }[] = []
    channel.track = async (payload?: unknown) => (tracked.push(payload as { conn: string }), 'ok')
    channel.joined()
    await flush()
    expect(tracked).toHaveLength(1)
    channel.presence = serverState(tracked[0]!.conn)
    channel.presenceEvent('sync')
    await flush()
    const snapshot = sync.inspect()
    entry = snapshot.presence
    expect(entry).toHaveLength(1)
    const members = [...entry[0]!.members].sort((a, b) => a.key.localeCompare(b.key))
    expect(members.map(({ key, status, connections, typing, self }) => ({ key, status, connections, typing, self }))).toEqual([
      { key: 'ann', status: 'online', connections: expect.any(Number), typing: false, self: true },
      { key: 'bob', status: 'online', connections: 2, typing: true, self: false },
    ])
    expect(typeof members[1]!.lastSeen).toBe('number')
    expect(JSON.stringify(snapshot)).not.toContain('secret')
    // The channel entry shows the presence binding and the last presence event by name.
    expect(snapshot.channels.find((candidate) => candidate.topic === 'wedding:42')).toMatchObject({ lastEvent: { type: 'presence', name: 'sync' } })

    await flush()
    const quiet = sync.inspect()
    expect(sync.inspect()).toBe(quiet)
    expect(sync.diagnostics().inspectRegistrations).toBe(1)

    room.leave()
    await flush()
    clock.advance(1000)
    await flush()
    expect(sync.inspect().presence).toEqual([])
    expect(sync.diagnostics()).toMatchObject({ inspectRegistrations: 0, shared: 0 })
    await sync.destroy()
  })

  it('leaves the snapshot when the instance is destroyed', async () => {
    const { sync } = fakeSupasync()
    createPresence(sync, 'room-a', { key: 'ann' })
    createPresence(sync, 'room-b', { key: 'ann' })
    expect(sync.inspect().presence.map((room) => room.topic)).toEqual(['room-a', 'room-b'])
    await sync.destroy()
    expect(sync.inspect().presence).toEqual([])
    expect(sync.diagnostics()).toMatchObject({ inspectRegistrations: 0, shared: 0 })
  })
})
