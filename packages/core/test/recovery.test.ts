import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startLocalStack, type LocalStack } from '@supasync/local'
import { ALICE, BOB, CORE_SCHEMA, syncFor, waitFor } from './helpers.js'

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack({ sql: [CORE_SCHEMA], realtime: { joinErrorDelayMs: 50, connectErrorDelayMs: 50 } })
})
afterAll(async () => {
  await stack?.stop()
})
afterEach(async () => {
  await stack.faults.reset()
})

describe('connection monitor', () => {
  it('notices blackholed heartbeats within two intervals and is live again once the fault clears', async () => {
    const interval = 400
    const a = syncFor(stack, { heartbeatIntervalMs: interval })
    try {
      const room = a.sync.channel('probe')
      await waitFor(() => a.sync.status.get().state === 'live', 5000, 'live')
      expect(a.sync.status.get().rttMs).toBeGreaterThanOrEqual(0)
      stack.faults.blackholeHeartbeats(true)
      const cutAt = Date.now()
      // The contract: noticed within 2 × heartbeatIntervalMs (plus scheduling slack on a loaded machine).
      await waitFor(() => a.sync.status.get().state !== 'live', 2 * interval + 1000, 'the dead socket to be noticed')
      const noticedAfter = Date.now() - cutAt
      expect(noticedAfter).toBeLessThanOrEqual(2 * interval + 1000)
      await waitFor(() => a.sync.metrics().counters.heartbeatTimeouts >= 1, 2000)
      stack.faults.blackholeHeartbeats(false)
      await waitFor(() => a.sync.status.get().state === 'live' && room.status.get() === 'joined', 15_000, 'recovery')
    } finally {
      await a.close()
    }
  })

  it('after a dead socket long enough to fill the breaker, rooms and leases are live again within 15 s (issue #10.5)', async () => {
    // Every heartbeat timeout and unanswered join during the dead socket is a channel error; they used to count
    // toward the join breaker (threshold 5), which then kept rooms down 30–60 s after the socket was back.
    // breakerThreshold 3 (default 5) so that a 12 s fault shows what the reported 20 s one did.
    const a = syncFor(stack, { heartbeatIntervalMs: 500, breakerThreshold: 3 })
    try {
      const room = a.sync.channel('blackholed')
      const got: unknown[] = []
      const lease = a.sync.changes({ table: 'components', filter: 'project_id=eq.505' }, (change) => got.push(change.new))
      await waitFor(() => a.sync.status.get().state === 'live' && lease.status.get() === 'live' && room.status.get() === 'joined', 5000, 'live')
      const errorsBefore = a.sync.metrics().counters.channelErrors
      stack.faults.blackholeHeartbeats(true)
      // The fault lasts 12 s (the reported one lasted 20 s with the default 5 s heartbeat): long enough for more
      // errors per channel than breakerThreshold.
      const until = Date.now() + 12_000
      await waitFor(() => Date.now() >= until, 13_000, 'the dead-socket period')
      expect(a.sync.metrics().counters.channelErrors - errorsBefore).toBeGreaterThanOrEqual(6)
      stack.faults.blackholeHeartbeats(false)
      const clearedAt = Date.now()
      await waitFor(() => room.status.get() === 'joined' && lease.status.get() === 'live' && a.sync.status.get().state === 'live', 15_000, 'everything live again')
      expect(Date.now() - clearedAt).toBeLessThan(15_000)
      expect(a.errors.filter((error) => /keep failing/.test(error.message))).toEqual([])
      await stack.query('insert into components (project_id) values (505)')
      await waitFor(() => got.length === 1, 5000, 'changes flow again')
    } finally {
      await a.close()
    }
  }, 40_000)

  it('keeps a newer instance on the same client live when an older one is destroyed', async () => {
    const { createSupasync } = await import('../src/index.js')
    const a = syncFor(stack, { heartbeatIntervalMs: 300 })
    try {
      const older = createSupasync(a.supabase, { heartbeatIntervalMs: 300 })
      older.channel('older')
      a.sync.channel('newer')
      await waitFor(() => a.sync.status.get().state === 'live' && older.status.get().state === 'live', 5000)
      await older.destroy()
      const samplesBefore = a.sync.metrics().rttMs.count
      await waitFor(() => a.sync.metrics().rttMs.count >= samplesBefore + 2, 5000, 'heartbeats still reaching the newer instance')
      expect(a.sync.status.get().state).toBe('live')
    } finally {
      await a.close()
    }
  })

  it('reports offline from the network port and probes as soon as it is back', async () => {
    const { manualPort } = await import('../src/index.js')
    const network = manualPort(true)
    const a = syncFor(stack, { ports: { network } })
    try {
      a.sync.channel('net')
      await waitFor(() => a.sync.status.get().state === 'live', 5000)
      network.set(false)
      expect(a.sync.status.get().state).toBe('offline')
      network.set(true)
      await waitFor(() => a.sync.status.get().state === 'live', 5000)
    } finally {
      await a.close()
    }
  })
})

describe('channels the server closes', () => {
  it('re-creates a room and a changes channel closed at token expiry, with a fresh token', async () => {
    const shortUntil = Date.now() + 1000
    // Tokens fetched in the first second live 2 s; later fetches get a long one (as a session refresh would).
    const accessToken = async () => stack.signJwt({ sub: ALICE, exp: Math.floor(Date.now() / 1000) + (Date.now() < shortUntil ? 2 : 3600) })
    const a = syncFor(stack, {}, { accessToken })
    try {
      const room = a.sync.channel('expiring')
      const got: unknown[] = []
      const lease = a.sync.changes({ table: 'components', filter: 'project_id=eq.77' }, (change) => got.push(change.new))
      await waitFor(() => room.status.get() === 'joined' && lease.status.get() === 'live', 5000)
      await waitFor(() => a.sync.metrics().counters.recreated >= 2, 8000, 'both channels closed by the server and re-created')
      await waitFor(() => room.status.get() === 'joined' && lease.status.get() === 'live', 10_000, 'rejoined')
      await stack.query('insert into components (project_id) values (77)')
      await waitFor(() => got.length === 1, 5000, 'changes flow again')
    } finally {
      await a.close()
    }
  })
})

describe('auth', () => {
  it('joins with the signed-in token, and a token change reaches the joined channels', async () => {
    const aliceToken = stack.signJwt({ sub: ALICE })
    const a = syncFor(stack, {}, { accessToken: async () => aliceToken })
    try {
      const got: string[] = []
      const lease = a.sync.changes({ table: 'notes', event: 'INSERT' }, (change) => got.push(String(change.new.body)))
      await waitFor(() => lease.status.get() === 'live', 5000)
      await stack.query(`insert into notes (owner, body) values ('${ALICE}', 'a1'), ('${BOB}', 'b1')`)
      await waitFor(() => got.includes('a1'), 5000, "alice's row")
      // Now the app signs in as Bob: realtime-js pushes the new token to every joined channel.
      await a.supabase.realtime.setAuth(stack.signJwt({ sub: BOB }))
      await waitFor(() => {
        for (const socket of stack.realtime.sockets) for (const session of socket.channels.values()) if (session.claims.sub === BOB) return true
        return false
      }, 5000, 'the server to hold the new token')
      await stack.query(`insert into notes (owner, body) values ('${ALICE}', 'a2'), ('${BOB}', 'b2')`)
      await waitFor(() => got.includes('b2'), 5000, "bob's row after the switch")
      await stack.realtime.settled()
      expect(got).toEqual(['a1', 'b2'])
    } finally {
      await a.close()
    }
  })
})

describe('auth: the accessToken option (third-party auth)', () => {
  it('follows the callback when it starts answering for another user: realtime re-auths the joined channels and sync.identity names the new user', async () => {
    let token = stack.signJwt({ sub: ALICE })
    const a = syncFor(stack, { heartbeatIntervalMs: 200 }, { accessToken: async () => token })
    try {
      const got: string[] = []
      const lease = a.sync.changes({ table: 'notes', event: 'INSERT' }, (change) => got.push(String(change.new.body)))
      await waitFor(() => lease.status.get() === 'live', 5000)
      await waitFor(() => a.sync.identity.get() === ALICE, 2000, 'identity alice')
      // supabase-js gave realtime-js the callback's first token as a fixed one: without supasync it stays Alice's.
      token = stack.signJwt({ sub: BOB })
      await waitFor(() => a.sync.identity.get() === BOB, 3000, 'identity bob')
      await waitFor(() => {
        for (const socket of stack.realtime.sockets) for (const session of socket.channels.values()) if (session.claims.sub === BOB) return true
        return false
      }, 5000, 'the server to hold the new token')
      await stack.query(`insert into notes (owner, body) values ('${ALICE}', 'a3'), ('${BOB}', 'b3')`)
      await waitFor(() => got.includes('b3'), 5000, "bob's row after the switch")
      await stack.realtime.settled()
      expect(got).toEqual(['b3'])
    } finally {
      await a.close()
    }
  })
})

describe('join failures', () => {
  it('an Unauthorized refusal is reported with the server reason, not retried in a loop, and retried on a new token (issue #10.6)', async () => {
    const a = syncFor(stack)
    try {
      // The local server refuses private channels to every role but service_role, as RLS on realtime.messages would.
      const room = a.sync.channel('members-only', { private: true })
      await waitFor(() => a.errors.some((error) => (error as { code?: string }).code === 'UNAUTHORIZED'), 5000, 'UNAUTHORIZED')
      const error = a.errors.find((candidate) => (candidate as { code?: string }).code === 'UNAUTHORIZED') as Error & { reason?: string }
      expect(error.reason).toBe('Unauthorized: You do not have permissions to read from this Channel topic: members-only')
      expect(error.message).toContain(error.reason)
      const watchUntil = Date.now() + 4000
      await waitFor(() => Date.now() >= watchUntil, 5000, 'the watch period')
      // realtime-js alone retries after 1, 2, 5 s…; the pool re-created it after a second or so. Now: one refusal.
      expect(a.sync.metrics().counters.channelErrors).toBe(1)
      expect(room.status.get()).toBe('errored')
      await a.supabase.realtime.setAuth(stack.serviceRoleKey)
      await waitFor(() => room.status.get() === 'joined', 15_000, 'joined with the new token')
    } finally {
      await a.close()
    }
  }, 30_000)

  it('backs off instead of looping and joins once the server accepts again', async () => {
    const a = syncFor(stack)
    try {
      stack.faults.refuseJoins(true)
      const room = a.sync.channel('refused')
      await waitFor(() => room.status.get() === 'errored', 5000, 'first refusal')
      const joinsBefore = stack.realtime.stats.joins
      const errorsBefore = a.sync.metrics().counters.channelErrors
      const watchUntil = Date.now() + 2500
      await waitFor(() => Date.now() > watchUntil, 4000)
      // realtime-js retries after 1 s, 2 s, 5 s…: at most a handful of attempts in 2.5 s, never a tight loop.
      expect(a.sync.metrics().counters.channelErrors - errorsBefore).toBeLessThanOrEqual(3)
      stack.faults.refuseJoins(false)
      await waitFor(() => room.status.get() === 'joined', 15_000, 'join after the fault')
      expect(stack.realtime.stats.joins).toBeGreaterThan(joinsBefore)
    } finally {
      await a.close()
    }
  })
})
