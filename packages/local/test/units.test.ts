import { describe, expect, it } from 'vitest'
import { decodeJwt, JwtError, signJwt, verifyJwt } from '../src/jwt.js'
import { bindingId, parseJoinPayload } from '../src/realtime/joinConfig.js'
import { maintainMessagePartitions } from '../src/realtime/messagesPartitions.js'
import { PresenceTracker } from '../src/realtime/PresenceTracker.js'
import { decodeFrame, encodeText, encodeUserBroadcast, FrameError } from '../src/realtime/serializer.js'

const SECRET = 'a-test-secret-that-is-at-least-32-characters'

describe('jwt', () => {
  it('signs HS256 tokens that verify, and reads claims', () => {
    const token = signJwt({ role: 'authenticated', sub: 'u1', exp: 2_000_000_000 }, SECRET)
    expect(verifyJwt(token, SECRET, 1_700_000_000_000)).toMatchObject({ role: 'authenticated', sub: 'u1' })
    expect(decodeJwt(token)).toMatchObject({ sub: 'u1' })
  })

  it('names each problem with the server text', () => {
    const expired = signJwt({ role: 'anon', exp: 1000 }, SECRET)
    const check = (token: string) => {
      try {
        verifyJwt(token, SECRET, 1_030_000)
        return undefined
      } catch (error) {
        return error as JwtError
      }
    }
    expect(check(expired)).toMatchObject({ problem: 'expired', message: 'Token has expired 30 seconds ago' })
    expect(check('abc')).toMatchObject({ problem: 'malformed', message: 'The token provided is not a valid JWT' })
    expect(check(signJwt({ role: 'anon', exp: 2000 }, 'another-secret-that-is-32-characters-long'))).toMatchObject({ problem: 'signature' })
    expect(check(signJwt({ sub: 'x' }, SECRET))).toMatchObject({ problem: 'missing_claims', message: 'Fields `role` and `exp` are required in JWT' })
    expect(check(signJwt({ role: 'anon', exp: 'soon' }, SECRET))).toMatchObject({ problem: 'invalid_exp' })
  })
})

describe('serializer', () => {
  it('decodes vsn 2 arrays and vsn 1 objects', () => {
    expect(decodeFrame('["1","2","realtime:a","phx_join",{}]', false, '2.0.0')).toEqual({
      kind: 'message',
      message: { joinRef: '1', ref: '2', topic: 'realtime:a', event: 'phx_join', payload: {} },
    })
    expect(decodeFrame('{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"5"}', false, '1.0.0')).toEqual({
      kind: 'message',
      message: { joinRef: null, ref: '5', topic: 'phoenix', event: 'heartbeat', payload: {} },
    })
  })

  it('rejects what the real serializer cannot decode', () => {
    expect(() => decodeFrame('nope', false, '2.0.0')).toThrow(FrameError)
    expect(() => decodeFrame('[1,2,3]', false, '2.0.0')).toThrow(FrameError)
    expect(() => decodeFrame('["1","2","t","e",{}]', false, '1.0.0')).toThrow(FrameError)
    expect(() => decodeFrame(Buffer.from([0, 1]), true, '2.0.0')).toThrow(/kind 0/)
    expect(() => decodeFrame(Buffer.from([3, 9, 9, 9, 9, 0, 1]), true, '2.0.0')).toThrow(/truncated/)
    expect(() => decodeFrame(Buffer.from([3]), true, '1.0.0')).toThrow(/vsn 2/)
  })

  it('decodes the realtime-js kind-3 example byte for byte', () => {
    const bytes = Buffer.from('03 01 01 0e 06 00 01 31 32 72 65 61 6c 74 69 6d 65 3a 72 6f 6f 6d 31 63 75 72 73 6f 72 7b 22 78 22 3a 31 7d'.replaceAll(' ', ''), 'hex')
    const frame = decodeFrame(bytes, true, '2.0.0')
    expect(frame).toMatchObject({ kind: 'userBroadcast', joinRef: '1', ref: '2', topic: 'realtime:room1', broadcast: { userEvent: 'cursor', encoding: 'json', metadata: null } })
    if (frame.kind !== 'userBroadcast') throw new Error('unreachable')
    expect(frame.broadcast.bytes.toString()).toBe('{"x":1}')
    expect(encodeUserBroadcast('realtime:room1', frame.broadcast).toString('hex')).toBe(`040e0600 01${Buffer.from('realtime:room1cursor{"x":1}').toString('hex')}`.replace(' ', ''))
  })

  it('encodes vsn 1 replies without join_ref', () => {
    expect(encodeText({ joinRef: '1', ref: '2', topic: 't', event: 'phx_reply', payload: {} }, '1.0.0')).toBe('{"event":"phx_reply","payload":{},"ref":"2","topic":"t"}')
    expect(encodeText({ joinRef: '1', ref: '2', topic: 't', event: 'phx_reply', payload: {} }, '2.0.0')).toBe('["1","2","t","phx_reply",{}]')
  })
})

describe('join config', () => {
  it('applies the server defaults and flexible booleans', () => {
    const config = parseJoinPayload({ config: { broadcast: { self: 'TRUE', ack: 'nope' }, presence: { key: 'k', enabled: 'false' }, private: 'true' } })
    expect(config).toMatchObject({ broadcast: { self: true, ack: false }, presence: { key: 'k', enabled: false }, private: true, postgresChanges: [] })
  })

  it('fills schema and table as the server does and gives identical params the same id', () => {
    const config = parseJoinPayload({ config: { postgres_changes: [{ table: 'todos' }, { schema: 'audit' }, { event: 'insert', table: 'todos' }] } })
    expect(config.postgresChanges.map(({ schema, table, event }) => ({ schema, table, event }))).toEqual([
      { schema: 'public', table: 'todos', event: '*' },
      { schema: 'audit', table: '*', event: '*' },
      { schema: 'public', table: 'todos', event: 'INSERT' },
    ])
    expect(bindingId({ a: 1, b: 'x' })).toBe(bindingId({ b: 'x', a: 1 }))
    expect(bindingId({ a: 1 })).not.toBe(bindingId({ a: 2 }))
    expect(bindingId({ a: 1 })).toBeLessThan(2 ** 27)
  })
})

describe('replay and replication_ready in the join config', () => {
  const replayOf = (replay: unknown) => parseJoinPayload({ config: { broadcast: { replay } } }).broadcast.replay

  it('reads the raw params as the channel does: limit defaults to 25, is clamped to 1..25, and 0 is kept (then 1)', () => {
    expect(parseJoinPayload({ config: {} }).broadcast.replay).toEqual({ kind: 'none' })
    expect(replayOf({ since: 1000 })).toEqual({ kind: 'replay', since: 1000, limit: 25 })
    expect(replayOf({ since: 1000, limit: 3 })).toEqual({ kind: 'replay', since: 1000, limit: 3 })
    expect(replayOf({ since: 1000, limit: 500 })).toEqual({ kind: 'replay', since: 1000, limit: 25 })
    expect(replayOf({ since: 1000, limit: 0 })).toEqual({ kind: 'replay', since: 1000, limit: 1 })
    expect(replayOf({ since: 1000, limit: -4 })).toEqual({ kind: 'replay', since: 1000, limit: 1 })
  })

  it('marks a since that is not an integer (or a bad limit) invalid, and a replay that is not a map ignored', () => {
    expect(replayOf({})).toEqual({ kind: 'invalid' })
    expect(replayOf({ since: '2026-01-01' })).toEqual({ kind: 'invalid' })
    expect(replayOf({ since: 1.5 })).toEqual({ kind: 'invalid' })
    expect(replayOf({ since: 1000, limit: 'ten' })).toEqual({ kind: 'invalid' })
    expect(replayOf(null)).toEqual({ kind: 'ignored' })
    expect(replayOf([1])).toEqual({ kind: 'ignored' })
  })

  it('reads replication_ready as a flexible boolean, off by default', () => {
    expect(parseJoinPayload({ config: { broadcast: { replication_ready: 'TRUE' } } }).broadcast.replicationReady).toBe(true)
    expect(parseJoinPayload({ config: {} }).broadcast.replicationReady).toBe(false)
  })
})

describe('realtime.messages partitions', () => {
  it('creates yesterday to today+3 (UTC) that are missing and drops the days older than 72 hours', async () => {
    const statements: string[] = []
    const existing = ['messages_2026_11_28', 'messages_2026_12_01', 'messages_2026_12_03', 'messages_2026_12_04', 'messages_custom']
    const db = {
      async query(sql: string) {
        statements.push(sql.replace(/\s+/g, ' ').trim())
        return { rows: sql.includes('pg_inherits') ? existing.map((name) => ({ name })) : [] }
      },
    }
    const result = await maintainMessagePartitions(db, Date.parse('2026-12-04T23:59:00Z'))
    expect(result.created).toEqual(['messages_2026_12_05', 'messages_2026_12_06', 'messages_2026_12_07'])
    // 72 h before 2026-12-04T23:59 is 2026-12-01T23:59: whole days before 2026-12-01 go.
    expect(result.dropped).toEqual(['messages_2026_11_28'])
    expect(statements).toContain("create table if not exists realtime.messages_2026_12_05 partition of realtime.messages for values from ('2026-12-05') to ('2026-12-06')")
    expect(statements).toContain('drop table if exists realtime.messages_2026_11_28')
  })
})

describe('presence tracker', () => {
  it('tracks, updates with phx_ref_prev, ignores identical re-tracks and untracks', () => {
    const tracker = new PresenceTracker()
    const join = tracker.track('t', 's1', 'alice', { at: 1 })!
    const ref = join.joins.alice!.metas[0]!.phx_ref
    expect(ref).toMatch(/^[A-Za-z0-9_-]{16}$/)
    expect(tracker.track('t', 's1', 'alice', { at: 1 })).toBeUndefined()
    const update = tracker.track('t', 's1', 'alice', { at: 2 })!
    expect(update.joins.alice!.metas[0]).toMatchObject({ at: 2, phx_ref_prev: ref })
    expect(update.leaves.alice!.metas[0]).toEqual({ at: 1, phx_ref: ref })
    tracker.track('t', 's2', 'alice', { at: 3 })
    expect(tracker.state('t').alice!.metas).toHaveLength(2)
    expect(tracker.untrack('t', 's1')!.leaves.alice!.metas[0]).toMatchObject({ at: 2 })
    tracker.untrack('t', 's2')
    expect(tracker.size).toBe(0)
    expect(tracker.untrack('t', 's2')).toBeUndefined()
  })
})
