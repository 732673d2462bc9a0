import { describe, expect, expectTypeOf, it } from 'vitest'
import type { Supasync } from '@supasync/core'
import { createPresence } from '../src/index.js'
import { CallBudget } from '../src/CallBudget.js'
import { encodeMeta, parseMeta, signature } from '../src/meta.js'
import { resolvePresenceOptions } from '../src/options.js'
import { initialModel, reducePresence, type PresenceModel, type ReducerConfig } from '../src/presenceReducer.js'
import { TimerSlots } from '../src/TimerSlots.js'
import type { ConnectionMeta, PresenceState } from '../src/types.js'
import { manualClock } from './helpers.js'

const config: ReducerConfig = { selfKey: 'me', selfConn: 'me-tab', reconnectGraceMs: 1000, offlineRetentionMs: 5000 }

type Entries = Record<string, ConnectionMeta[]>
const meta = (conn: string, ref: string, state: PresenceState = {}, extra: Partial<ConnectionMeta> = {}): ConnectionMeta => ({
  conn,
  ref,
  state,
  away: false,
  typing: false,
  at: 0,
  ...extra,
})
const presences = (entries: Entries) => new Map(Object.entries(entries).map(([key, metas]) => [key, new Map(metas.map((m) => [m.ref, m]))]))
const server = (model: PresenceModel, now: number, entries: Entries, keys?: string[]) =>
  reducePresence(model, { type: 'server', now, presences: presences(entries), keys }, config)
const tick = (model: PresenceModel, now: number) => reducePresence(model, { type: 'tick', now }, config)

describe('reducePresence', () => {
  it('merges the connections of one key into one member, the latest change winning the state', () => {
    let model = server(initialModel(), 10, { ann: [meta('a1', 'r1', { task: 'setup' })] })
    model = server(model, 20, { ann: [meta('a1', 'r1', { task: 'setup' }), meta('a2', 'r2', { task: 'ceremony' })] })
    expect(model.list).toEqual([
      { key: 'ann', state: { task: 'ceremony' }, status: 'online', lastSeen: 20, connections: 2, typing: false, self: false },
    ])
    model = server(model, 30, { ann: [meta('a1', 'r3', { task: 'dinner' }), meta('a2', 'r2', { task: 'ceremony' })] })
    expect(model.list[0]).toMatchObject({ state: { task: 'dinner' }, connections: 2, lastSeen: 30 })
  })

  it('is away only when every connection is away, and reports typing of others only', () => {
    let model = server(initialModel(), 0, {
      ann: [meta('a1', 'r1', {}, { away: true }), meta('a2', 'r2', {}, { away: false, typing: true })],
      me: [meta('me-tab', 'r3', {}, { typing: true })],
    })
    expect(model.list.map((m) => m.status)).toEqual(['online', 'online'])
    expect(model.typing).toEqual(['ann'])
    model = server(model, 1, { ann: [meta('a1', 'r1', {}, { away: true }), meta('a2', 'r4', {}, { away: true })], me: [meta('me-tab', 'r3', {}, { typing: true })] })
    expect(model.list[0]!.status).toBe('away')
    expect(model.typing).toEqual([])
  })

  it('keeps references while nothing changes (store contract)', () => {
    const entries = { ann: [meta('a1', 'r1', { n: 1 })], bob: [meta('b1', 'r2', { n: 2 })] }
    const first = server(initialModel(), 0, entries)
    const again = server(first, 5, entries)
    expect(again).toBe(first)
    const bobChanged = server(first, 6, { ...entries, bob: [meta('b1', 'r9', { n: 3 })] })
    expect(bobChanged.list).not.toBe(first.list)
    expect(bobChanged.list[0]).toBe(first.list[0])
    expect(bobChanged.typing).toBe(first.typing)
  })

  it('treats a rejoin with the same payload (new ref) as no change', () => {
    const model = server(initialModel(), 0, { ann: [meta('a1', 'r1', { n: 1 })] })
    const rejoined = server(model, 50, { ann: [meta('a1', 'r2', { n: 1 })] })
    expect(rejoined.list).toBe(model.list)
  })

  it('keeps a vanished connection for the grace period, then offline with lastSeen, then drops it after retention', () => {
    let model = server(initialModel(), 0, { ann: [meta('a1', 'r1', { n: 1 })], bob: [meta('b1', 'r2')] })
    model = server(model, 100, { bob: [meta('b1', 'r2')] })
    expect(model.list[0]).toMatchObject({ key: 'ann', status: 'online', connections: 1 })
    expect(model.nextDeadline).toBe(1100)
    expect(tick(model, 1099)).toBe(model)
    model = tick(model, 1100)
    expect(model.list[0]).toEqual({ key: 'ann', state: { n: 1 }, status: 'offline', lastSeen: 100, connections: 0, typing: false, self: false })
    expect(model.nextDeadline).toBe(1100 + 5000)
    model = tick(model, 6100)
    expect(model.list.map((m) => m.key)).toEqual(['bob'])
    expect(model.nextDeadline).toBeUndefined()
  })

  it('brings a lingering connection back without any visible change when it rejoins within the grace period', () => {
    const start = server(initialModel(), 0, { ann: [meta('a1', 'r1', { n: 1 })], bob: [meta('b1', 'r2')] })
    const missing = server(start, 10, {})
    expect(missing.list.map((m) => [m.key, m.status, m.connections])).toEqual([
      ['ann', 'online', 1],
      ['bob', 'online', 1],
    ])
    const back = server(missing, 500, { ann: [meta('a1', 'r5', { n: 1 })], bob: [meta('b1', 'r6')] })
    expect(back.list).toBe(start.list)
    expect(back.nextDeadline).toBeUndefined()
  })

  it('turns an offline member online again when it returns', () => {
    let model = server(initialModel(), 0, { ann: [meta('a1', 'r1')] })
    model = server(model, 10, {})
    model = tick(model, 1010)
    expect(model.list[0]!.status).toBe('offline')
    model = server(model, 2000, { ann: [meta('a9', 'r9', { back: true })] })
    expect(model.list[0]).toMatchObject({ status: 'online', connections: 1, lastSeen: 2000, state: { back: true } })
    expect(model.nextDeadline).toBeUndefined()
  })

  it('shows the own desired state at once on the own connection, and only there', () => {
    let model = reducePresence(initialModel(), { type: 'self', now: 0, desired: { state: { v: 1 }, away: false, typing: false }, at: 0 }, config)
    expect(model.list).toEqual([])
    model = server(model, 1, { me: [meta('me-tab', 'r1', { v: 1 }), meta('me-other-tab', 'r2', { v: 0 })] })
    model = reducePresence(model, { type: 'self', now: 2, desired: { state: { v: 2 }, away: false, typing: true }, at: 2 }, config)
    expect(model.list[0]).toMatchObject({ key: 'me', self: true, state: { v: 2 }, typing: true, connections: 2 })
    expect(model.typing).toEqual([])
    // The server still echoes the old payload (rate limited): the overlay stays.
    model = server(model, 3, { me: [meta('me-tab', 'r1', { v: 1 }), meta('me-other-tab', 'r2', { v: 0 })] })
    expect(model.list[0]!.state).toEqual({ v: 2 })
  })

  it('reconciles only the keys it is told about', () => {
    const model = server(initialModel(), 0, { ann: [meta('a1', 'r1')], bob: [meta('b1', 'r2')] })
    const next = server(model, 1, { ann: [meta('a1', 'r1', { x: 1 })] }, ['ann'])
    expect(next.list.map((m) => m.key)).toEqual(['ann', 'bob'])
    expect(next.list[1]).toBe(model.list[1])
  })
})

describe('CallBudget', () => {
  it('allows 4 calls in any 31 s, spaced by the minimum interval', () => {
    const budget = new CallBudget(4, 31_000, 1000)
    expect(budget.nextAllowedAt(0)).toBe(0)
    budget.record(0)
    expect(budget.nextAllowedAt(10)).toBe(1000)
    budget.record(1000)
    budget.record(2000)
    budget.record(3000)
    expect(budget.used(3000)).toBe(4)
    expect(budget.nextAllowedAt(4000)).toBe(31_000)
    expect(budget.used(31_000)).toBe(3)
    budget.record(31_000)
    expect(budget.nextAllowedAt(31_000)).toBe(32_000)
    budget.reset()
    expect(budget.nextAllowedAt(31_001)).toBe(31_001)
  })

  it('never lets 6 calls land in a 30 s fixed window, whatever the anchor (model check of the server rule)', () => {
    // Random request times; the client sends whenever the budget allows (+ one spare untrack at the end).
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let run = 0; run < 200; run++) {
      const budget = new CallBudget(4, 31_000, 1000)
      const sent: number[] = []
      let now = 0
      let pending = false
      while (now < 200_000) {
        now += Math.floor(random() * 3000)
        pending = pending || random() < 0.7
        if (pending && budget.nextAllowedAt(now) <= now) {
          budget.record(now)
          sent.push(now)
          pending = false
        }
      }
      sent.push(now) // the spare untrack
      // Arrivals jitter by up to 900 ms. The server rule: fixed windows of 30 s anchored at the first call after the last window.
      const arrivals = sent.map((time) => time + Math.floor(random() * 900)).sort((a, b) => a - b)
      let resetAt = -Infinity
      let count = 0
      for (const time of arrivals) {
        if (time > resetAt) {
          resetAt = time + 30_000
          count = 1
        } else {
          count++
          expect(count).toBeLessThanOrEqual(5)
        }
      }
    }
  })
})

describe('meta', () => {
  it('round-trips the payload and reads foreign entries as their whole payload', () => {
    const wire = encodeMeta('c1', { state: { name: 'Ann' }, away: true, typing: false }, 42)
    expect(parseMeta({ ...wire, presence_ref: 'r1' })).toEqual({ conn: 'c1', ref: 'r1', state: { name: 'Ann' }, away: true, typing: false, at: 42 })
    expect(parseMeta({ presence_ref: 'r2', online_at: 't' })).toEqual({ conn: 'r2', ref: 'r2', state: { online_at: 't' }, away: false, typing: false, at: 0 })
    // realtime-js < 2.119.1 loses refs from its state (supabase/supabase-js#2565): still readable.
    expect(parseMeta({ ...wire })).toMatchObject({ conn: 'c1', ref: '' })
    expect(parseMeta({ online_at: 't' })).toMatchObject({ conn: 'payload:{"online_at":"t"}', ref: '' })
    expect(parseMeta('nope')).toBeUndefined()
  })

  it('signatures ignore the timestamp', () => {
    expect(signature(encodeMeta('c', { state: { a: 1 }, away: false, typing: true }, 1))).toBe(
      signature(encodeMeta('c', { state: { a: 1 }, away: false, typing: true }, 2)),
    )
  })
})

describe('options and timers', () => {
  it('validates options with messages that say what to pass', () => {
    expect(() => resolvePresenceOptions({ key: '' })).toThrow(/key must be a non-empty string/)
    expect(() => resolvePresenceOptions({ key: 'k', awayAfterMs: -1 })).toThrow(/awayAfterMs must be a number ≥ 0/)
    expect(() => resolvePresenceOptions({ key: 'k', maxCallsPerWindow: 2.5 })).toThrow(/integer/)
    expect(() => resolvePresenceOptions({ key: 'k', minCallIntervalMs: 40_000 })).toThrow(/shorter than callWindowMs/)
    expect(() => resolvePresenceOptions({ key: 'k', state: [] as never })).toThrow(/plain object/)
    expect(resolvePresenceOptions({ key: 'k' })).toMatchObject({ awayAfterMs: 60_000, typingTimeoutMs: 5000, maxCallsPerWindow: 4, callWindowMs: 31_000 })
  })

  it('TimerSlots keeps one timer per name and clears them all', () => {
    const clock = manualClock(0)
    const slots = new TimerSlots<'a' | 'b'>(clock)
    const fired: string[] = []
    slots.set('a', 10, () => fired.push('a1'))
    slots.set('a', 20, () => fired.push('a2'))
    slots.set('b', 5, () => fired.push('b'))
    expect(slots.size).toBe(2)
    expect(clock.pending).toBe(2)
    expect(slots.dueAt('a')).toBe(20)
    clock.advance(30)
    expect(fired).toEqual(['b', 'a2'])
    slots.set('a', 10, () => fired.push('x'))
    slots.clearAll()
    expect(slots.size).toBe(0)
    expect(clock.pending).toBe(0)
  })
})

describe('types', () => {
  it('the initial state does not narrow the room type; an explicit type does (checked by tsc)', () => {
    const compileOnly = (sync: Supasync) => {
      const loose = createPresence(sync, 'wedding:42', { key: 'u1', state: { name: 'Ann', role: 'photographer' } })
      loose.update({ role: 'photographer', task: 'first dance' })
      const typed = createPresence<{ name: string; task?: string }>(sync, 'wedding:42', { key: 'u1', state: { name: 'Ann' } })
      typed.update({ task: 'first dance' })
      // @ts-expect-error a field the declared state does not have
      typed.update({ nope: 1 })
      expectTypeOf(typed.members.get()[0]!.state).toEqualTypeOf<{ name: string; task?: string }>()
    }
    expect(typeof compileOnly).toBe('function')
  })
})
