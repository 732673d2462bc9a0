import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalStack, type LocalStack } from '@supasync/local'
import type { ChangesLease } from '../src/index.js'
import { CORE_SCHEMA, syncFor, waitFor } from './helpers.js'

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack({ sql: [CORE_SCHEMA], realtime: { joinErrorDelayMs: 50, connectErrorDelayMs: 50 } })
})
afterAll(async () => {
  await stack?.stop()
})

describe('packing', () => {
  it('puts 150 distinct bindings on at most 100 channels, each lease receiving exactly its own rows', async () => {
    // One binding per channel forces the pool to its channel budget and then to share channels.
    const a = syncFor(stack, { maxBindingsPerChannel: 1 })
    try {
      const received = new Map<number, number[]>()
      const leases: ChangesLease[] = []
      for (let project = 0; project < 150; project++) {
        received.set(project, [])
        leases.push(a.sync.changes({ table: 'components', event: 'INSERT', filter: `project_id=eq.${project}` }, (change) => received.get(project)!.push(Number(change.new.project_id))))
      }
      await waitFor(() => leases.every((lease) => lease.status.get() === 'live'), 30_000, '150 live leases')
      const { channels } = a.sync.diagnostics()
      expect(channels).toBeLessThanOrEqual(100)
      expect(a.supabase.getChannels().length).toBe(channels)
      expect(stack.realtime.snapshot().channels).toBeLessThanOrEqual(100)
      await stack.query('insert into components (project_id, tag) select g, \'row-\' || g from generate_series(0, 149) g')
      await waitFor(() => [...received.values()].every((rows) => rows.length >= 1), 10_000, 'every project its row')
      await stack.realtime.settled()
      for (const [project, rows] of received) expect(rows).toEqual([project])
    } finally {
      await a.close()
    }
  })
})

describe('make-before-break', () => {
  it('adds bindings to a joined channel under a continuous write stream without losing or repeating a change', async () => {
    const a = syncFor(stack)
    let writing = true
    try {
      const seen: number[] = []
      const lease = a.sync.changes({ table: 'components', event: 'INSERT', filter: 'project_id=eq.500' }, (change) => seen.push(Number(change.new.id)))
      await waitFor(() => lease.status.get() === 'live', 5000, 'first lease live')
      const { rows: startRows } = await stack.query<{ max: string | null }>('select max(id)::text as max from components')
      const startId = Number(startRows[0]?.max ?? 0)
      const writer = (async () => {
        while (writing) {
          await stack.query("insert into components (project_id, tag) values (500, 'stream')")
          await new Promise((resolve) => setTimeout(resolve, 3))
        }
      })()
      // Each new binding makes the pool replace the joined channel while writes keep coming.
      const extra: ChangesLease[] = []
      for (let round = 0; round < 3; round++) {
        await new Promise((resolve) => setTimeout(resolve, 150))
        extra.push(a.sync.changes({ table: 'components', filter: `project_id=eq.${600 + round}` }, () => {}))
        await waitFor(() => extra.every((other) => other.status.get() === 'live') && lease.status.get() === 'live', 10_000, `swap ${round + 1}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 150))
      writing = false
      await writer
      const { rows } = await stack.query<{ id: string }>('select id::text from components where project_id = 500 and id > $1 order by id', [startId])
      const expected = rows.map((row) => Number(row.id))
      await waitFor(() => expected.every((id) => seen.includes(id)), 10_000, 'every streamed row')
      await stack.realtime.settled()
      const mine = seen.filter((id) => id > startId)
      expect(mine).toEqual(expected)
      expect(new Set(mine).size).toBe(mine.length)
      const metrics = a.sync.metrics()
      expect(metrics.counters.swaps).toBeGreaterThanOrEqual(3)
      expect(a.supabase.getChannels()).toHaveLength(1)
    } finally {
      writing = false
      await a.close()
    }
  })

  it('abandoning an in-flight swap for a newer one keeps the live lease live and reports nothing', async () => {
    const a = syncFor(stack)
    try {
      const first = a.sync.changes({ table: 'components', filter: 'project_id=eq.950' }, () => {})
      await waitFor(() => first.status.get() === 'live', 5000)
      const statuses: string[] = []
      first.status.subscribe((status) => statuses.push(status))
      const second = a.sync.changes({ table: 'components', filter: 'project_id=eq.951' }, () => {})
      await Promise.resolve()
      await new Promise((resolve) => setImmediate(resolve))
      const third = a.sync.changes({ table: 'components', filter: 'project_id=eq.952' }, () => {})
      await waitFor(() => second.status.get() === 'live' && third.status.get() === 'live', 5000)
      expect(statuses).toEqual([])
      expect(a.errors).toEqual([])
      expect(a.sync.metrics().counters.recreated).toBe(0)
    } finally {
      await a.close()
    }
  })

  it('does not starve when bindings arrive one after another while the channel is still joining', async () => {
    const a = syncFor(stack)
    try {
      const leases: ChangesLease[] = []
      for (let index = 0; index < 20; index++) {
        leases.push(a.sync.changes({ table: 'components', filter: `project_id=eq.${800 + index}` }, () => {}))
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
      await waitFor(() => leases.every((lease) => lease.status.get() === 'live'), 10_000, 'all leases live')
      expect(a.sync.diagnostics().channels).toBe(1)
    } finally {
      await a.close()
    }
  })

  it('compacts a channel once most of its bindings are released', async () => {
    const a = syncFor(stack, { graceMs: 10 })
    try {
      const leases = Array.from({ length: 6 }, (_, index) => a.sync.changes({ table: 'components', filter: `project_id=eq.${700 + index}` }, () => {}))
      await waitFor(() => leases.every((lease) => lease.status.get() === 'live'), 5000)
      const swapsBefore = a.sync.metrics().counters.swaps
      for (const lease of leases.slice(0, 4)) lease.release()
      await waitFor(() => a.sync.metrics().counters.swaps > swapsBefore, 5000, 'compaction swap')
      // Releases landing while a swap is in flight add one more swap; then one channel carries the two left.
      await waitFor(() => a.sync.diagnostics().channels === 1 && leases.slice(4).every((lease) => lease.status.get() === 'live'), 5000, 'compacted')
      expect(a.sync.diagnostics()).toMatchObject({ changeBindings: 2, channels: 1 })
      for (const lease of leases.slice(4)) lease.release()
      await waitFor(() => a.sync.diagnostics().channels === 0, 5000, 'last channel left')
    } finally {
      await a.close()
    }
  })

  it('blames only the binding the server names when two newcomers share a table and column', async () => {
    const a = syncFor(stack)
    try {
      const good = a.sync.changes({ table: 'components', filter: 'project_id=eq.42' }, () => {})
      const bad = a.sync.changes({ table: 'components', filter: 'project_id=eq.undefined' }, () => {}, { onError: () => {} })
      await waitFor(() => bad.status.get() === 'error', 5000, 'the refusal')
      expect(bad.error?.message).toContain('invalid input syntax for type bigint')
      await waitFor(() => good.status.get() === 'live', 5000, 'the valid binding live')
    } finally {
      await a.close()
    }
  })

  it('refuses a binding the server rejects without taking the channel\'s other bindings down', async () => {
    const a = syncFor(stack)
    try {
      const good = a.sync.changes({ table: 'components', filter: 'project_id=eq.900' }, () => {})
      await waitFor(() => good.status.get() === 'live', 5000)
      const errors: Error[] = []
      const bad = a.sync.changes({ table: 'components', filter: 'no_such_column=eq.1' }, () => {}, { onError: (error) => errors.push(error) })
      await waitFor(() => bad.status.get() === 'error', 5000, 'refusal')
      expect(bad.error?.code).toBe('SUBSCRIPTION_FAILED')
      expect(errors[0]?.message).toContain('invalid column for filter no_such_column')
      await waitFor(() => good.status.get() === 'live', 5000, 'good binding live again')
      const got: unknown[] = []
      const probe = a.sync.changes({ table: 'components', filter: 'project_id=eq.900' }, (change) => got.push(change))
      await waitFor(() => probe.status.get() === 'live')
      await stack.query("insert into components (project_id) values (900)")
      await waitFor(() => got.length === 1, 5000, 'delivery after refusal')
    } finally {
      await a.close()
    }
  })
})
