import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalStack, type LocalStack } from '@supasync/local'
import { CORE_SCHEMA, syncFor, waitFor } from './helpers.js'

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack({ sql: [CORE_SCHEMA], realtime: { joinErrorDelayMs: 50, connectErrorDelayMs: 50 } })
})
afterAll(async () => {
  await stack?.stop()
})

describe('rooms', () => {
  it('shares one channel between holders, keeps listeners per holder, and isolates releases', async () => {
    const a = syncFor(stack)
    const b = syncFor(stack)
    try {
      const first = a.sync.channel('wedding:42')
      const second = a.sync.channel('wedding:42')
      const got1: unknown[] = []
      const got2: unknown[] = []
      first.on('running-late', (payload) => got1.push(payload))
      second.on('running-late', (payload) => got2.push(payload))
      const sender = b.sync.channel('wedding:42', { broadcast: { ack: true } })
      await waitFor(() => first.status.get() === 'joined' && sender.status.get() === 'joined', 5000, 'joins')
      expect(a.supabase.getChannels()).toHaveLength(1)
      expect(await sender.send('running-late', { minutes: 20 })).toBe('ok')
      await waitFor(() => got1.length === 1 && got2.length === 1, 5000, 'both holders')
      first.release()
      expect(await sender.send('running-late', { minutes: 30 })).toBe('ok')
      await waitFor(() => got2.length === 2, 5000, 'second holder still receives')
      expect(got1).toHaveLength(1)
      expect(() => first.on('x', () => {})).toThrow(/already released/)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('reuses the channel with zero extra joins when re-acquired within the grace period', async () => {
    const a = syncFor(stack, { graceMs: 500 })
    try {
      const first = a.sync.channel('grace')
      await waitFor(() => first.status.get() === 'joined')
      const joinsBefore = stack.realtime.stats.joins
      first.release()
      const again = a.sync.channel('grace')
      expect(again.status.get()).toBe('joined')
      await new Promise((resolve) => setTimeout(resolve, 700))
      expect(stack.realtime.stats.joins).toBe(joinsBefore)
      expect(a.supabase.getChannels()).toHaveLength(1)
      again.release()
      await waitFor(() => a.supabase.getChannels().length === 0, 3000, 'leave after grace')
    } finally {
      await a.close()
    }
  })
})

describe('presence hooks', () => {
  it('registers presence listeners before the join and forwards sync/join/leave to holders', async () => {
    const a = syncFor(stack)
    const b = syncFor(stack)
    try {
      const alice = a.sync.channel('site:1', { presence: { key: 'alice' } })
      const events: string[] = []
      alice.onPresence((event) => events.push(event.key ? `${event.event}:${event.key}` : event.event))
      const bob = b.sync.channel('site:1', { presence: { key: 'bob' } })
      await waitFor(() => alice.status.get() === 'joined' && bob.status.get() === 'joined', 5000)
      expect(await bob.realtimeChannel()!.track({ on_site: true })).toBe('ok')
      await waitFor(() => events.includes('join:bob'), 5000, "bob's join")
      expect(Object.keys(alice.realtimeChannel()!.presenceState())).toEqual(['bob'])
      bob.release()
      await b.sync.destroy()
      await waitFor(() => events.includes('leave:bob'), 5000, "bob's leave")
      alice.release()
      expect(a.sync.diagnostics().roomListeners).toBe(0)
    } finally {
      await a.close()
      await b.close()
    }
  })
})

describe('changes', () => {
  it('delivers each lease its own rows; identical specs share one binding', async () => {
    const a = syncFor(stack)
    try {
      const p1: unknown[] = []
      const p1b: unknown[] = []
      const p2: unknown[] = []
      const l1 = a.sync.changes({ table: 'components', filter: 'project_id=eq.1' }, (change) => p1.push(change.new))
      const l1b = a.sync.changes({ table: 'components', filter: 'project_id=eq.1' }, (change) => p1b.push(change.new))
      const l2 = a.sync.changes({ table: 'components', filter: 'project_id=eq.2' }, (change) => p2.push(change.new))
      await waitFor(() => [l1, l1b, l2].every((lease) => lease.status.get() === 'live'), 5000, 'leases live')
      expect(a.sync.diagnostics()).toMatchObject({ changeBindings: 2, changeLeases: 3, channels: 1 })
      await stack.query("insert into components (project_id, tag) values (1, 'a'), (2, 'b')")
      await waitFor(() => p1.length === 1 && p1b.length === 1 && p2.length === 1, 5000, 'deliveries')
      expect(p1[0]).toMatchObject({ project_id: 1, tag: 'a' })
      expect(p2[0]).toMatchObject({ project_id: 2, tag: 'b' })
    } finally {
      await a.close()
    }
  })
})
