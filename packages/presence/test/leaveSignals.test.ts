import { describe, expect, it } from 'vitest'
import { LEAVE_SIGNAL_TTL_MS, LeaveSignals, parseLeaveSignal } from '../src/LeaveSignals.js'
import { initialModel, reducePresence, type PresenceModel, type ReducerConfig } from '../src/presenceReducer.js'
import type { ConnectionMeta, PresenceState } from '../src/types.js'

const config: ReducerConfig = { selfKey: 'me', selfConn: 'me-tab', reconnectGraceMs: 10_000, offlineRetentionMs: 300_000 }

const meta = (conn: string, ref: string, state: PresenceState = {}): ConnectionMeta => ({ conn, ref, state, away: false, typing: false, at: 0 })
const server = (model: PresenceModel, now: number, entries: Record<string, ConnectionMeta[]>, departing?: string[]) =>
  reducePresence(
    model,
    {
      type: 'server',
      now,
      presences: new Map(Object.entries(entries).map(([key, metas]) => [key, new Map(metas.map((m) => [m.conn, m]))])),
      departing: departing && new Set(departing),
    },
    config,
  )
const view = (model: PresenceModel, key: string) => model.list.find((member) => member.key === key)

describe('reducePresence with departing connections (a deliberate leave)', () => {
  it('drops a departing connection at once when it vanishes: offline with lastSeen = now, no grace deadline', () => {
    let model = server(initialModel(), 0, { ann: [meta('a1', 'r1', { n: 1 })], bob: [meta('b1', 'r2')] })
    model = server(model, 100, { bob: [meta('b1', 'r2')] }, ['a1'])
    expect(view(model, 'ann')).toEqual({ key: 'ann', state: { n: 1 }, status: 'offline', lastSeen: 100, connections: 0, typing: false, self: false })
    // Only the retention deadline is left, no reconnect grace.
    expect(model.nextDeadline).toBe(100 + 300_000)
  })

  it('without the signal the same vanish still lingers for reconnectGraceMs (a dropped socket)', () => {
    let model = server(initialModel(), 0, { ann: [meta('a1', 'r1')] })
    model = server(model, 100, {}, ['someone-else'])
    expect(view(model, 'ann')).toMatchObject({ status: 'online', connections: 1 })
    expect(model.nextDeadline).toBe(100 + 10_000)
  })

  it('drops a connection already lingering when its signal comes after the vanish, with lastSeen = when it vanished', () => {
    let model = server(initialModel(), 0, { ann: [meta('a1', 'r1')] })
    model = server(model, 100, {})
    expect(view(model, 'ann')!.status).toBe('online')
    model = server(model, 250, {}, ['a1'])
    expect(view(model, 'ann')).toMatchObject({ status: 'offline', lastSeen: 100, connections: 0 })
  })

  it('does not touch a departing connection the server still holds (a signal hides nobody)', () => {
    const model = server(initialModel(), 0, { ann: [meta('a1', 'r1')] })
    expect(server(model, 100, { ann: [meta('a1', 'r1')] }, ['a1'])).toBe(model)
  })

  it('drops only the departing connection of a member with several (one tab of two left)', () => {
    let model = server(initialModel(), 0, { ann: [meta('a1', 'r1', { tab: 1 }), meta('a2', 'r2', { tab: 2 })] })
    model = server(model, 100, { ann: [meta('a2', 'r2', { tab: 2 })] }, ['a1'])
    expect(view(model, 'ann')).toMatchObject({ status: 'online', connections: 1, state: { tab: 2 } })
    expect(model.nextDeadline).toBeUndefined()
  })
})

describe('LeaveSignals', () => {
  const listed = new Map([
    ['ann', new Map([['a1', { ref: 'r1' }], ['a2', { ref: '' }]])],
    ['bob', new Map([['b1', { ref: 'r3' }]])],
  ])
  const find = (key: string, conn: string) => listed.get(key)?.get(conn)

  it('reads only well-formed payloads', () => {
    expect(parseLeaveSignal({ key: 'ann', conn: 'a1', ref: 'r1' })).toEqual({ key: 'ann', conn: 'a1', ref: 'r1' })
    expect(parseLeaveSignal({ key: 'ann', conn: 'a1' })).toEqual({ key: 'ann', conn: 'a1', ref: '' })
    for (const bad of [null, 'ann', [], {}, { key: 'ann' }, { key: 'ann', conn: '' }, { key: 1, conn: 'a1' }, { key: 'ann', conn: 'a1', ref: 7 }, { key: 'ann', conn: 'x'.repeat(2000) }]) {
      expect(parseLeaveSignal(bad)).toBeUndefined()
    }
  })

  it('takes a signal for a listed connection of that key, and nothing else', () => {
    const signals = new LeaveSignals()
    expect(signals.receive({ key: 'ann', conn: 'a1', ref: 'r1' }, 'me-tab', 0, find)).toBe('ann')
    expect(signals.receive({ key: 'bob', conn: 'a2' }, 'me-tab', 0, find)).toBeUndefined() // ann's connection under bob's key
    expect(signals.receive({ key: 'ann', conn: 'zz' }, 'me-tab', 0, find)).toBeUndefined() // nobody listed
    expect(signals.receive({ key: 'bob', conn: 'b1', ref: 'old' }, 'me-tab', 0, find)).toBeUndefined() // another entry of b1
    expect(signals.receive({ key: 'me', conn: 'me-tab' }, 'me-tab', 0, () => ({ ref: '' }))).toBeUndefined() // this client's own
    expect(signals.receive('garbage', 'me-tab', 0, find)).toBeUndefined()
    // An unknown ref on either side leaves the connection id to decide.
    expect(signals.receive({ key: 'ann', conn: 'a2', ref: 'r9' }, 'me-tab', 0, find)).toBe('ann')
    expect(signals.receive({ key: 'bob', conn: 'b1', ref: '' }, 'me-tab', 0, find)).toBe('bob')
    expect([...signals.departing(0)!]).toEqual(['a1', 'a2', 'b1'])
  })

  it(`forgets a signal after ${LEAVE_SIGNAL_TTL_MS} ms, when its entry is replaced, and when its connection is gone`, () => {
    const signals = new LeaveSignals()
    signals.receive({ key: 'ann', conn: 'a1', ref: 'r1' }, 'me-tab', 1000, find)
    signals.receive({ key: 'ann', conn: 'a2', ref: '' }, 'me-tab', 1000, find)
    signals.receive({ key: 'bob', conn: 'b1', ref: 'r3' }, 'me-tab', 2000, find)
    // a1 tracked again (an update: a new ref): the signal named the old entry.
    signals.superseded('a1', 'r7')
    // a2's signal named no ref: an update does not change which connection it names.
    signals.superseded('a2', 'r8')
    expect([...signals.departing(1000)!]).toEqual(['a2', 'b1'])
    expect([...signals.departing(1000 + LEAVE_SIGNAL_TTL_MS - 1)!]).toEqual(['a2', 'b1'])
    expect([...signals.departing(1000 + LEAVE_SIGNAL_TTL_MS)!]).toEqual(['b1'])
    signals.retain((_key, conn) => conn !== 'b1')
    expect(signals.departing(0)).toBeUndefined()
    expect(signals.size).toBe(0)
  })
})
