/**
 * How the changes pool stores leases and specs (issue #16: memory per lease ≤ 1 KB with 10,000 distinct specs, measured
 * in test/bench/core.bench.ts): one lease per spec is held inline, a second turns it into a set; the normalized
 * spec is frozen and is realtime-js's filter object as is; specs are keyed without a key string of their own.
 */
import { describe, expect, it } from 'vitest'
import { fakeSupasync, flush } from './fakeRealtime.js'

describe('lease storage per distinct spec (issue #16: memory per lease)', () => {
  it('a spec with one lease, then two, then one again: each delivery reaches exactly the leases held', async () => {
    const { realtime, sync } = fakeSupasync()
    const got: string[] = []
    const first = sync.changes({ table: 'components', filter: 'id=eq.1' }, () => got.push('first'))
    await flush()
    const channel = realtime.created[0]!
    const deliver = () => {
      for (const listener of channel.listeners) {
        if (listener.type === 'postgres_changes') {
          ;(listener.callback as (payload: unknown) => void)({ schema: 'public', table: 'components', commit_timestamp: new Date().toISOString(), eventType: 'INSERT', new: {}, old: {}, errors: null })
        }
      }
    }
    channel.joined()
    channel.system({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL' })
    deliver()
    const second = sync.changes({ table: 'components', filter: 'id=eq.1' }, () => got.push('second'))
    expect(second.status.get()).toBe('live')
    deliver()
    first.release()
    deliver()
    // A listener releasing its own lease during a delivery: the others still get that delivery.
    const third = sync.changes({ table: 'components', filter: 'id=eq.1' }, () => {
      got.push('third')
      third.release()
    })
    const fourth = sync.changes({ table: 'components', filter: 'id=eq.1' }, () => got.push('fourth'))
    deliver()
    deliver()
    expect(got).toEqual(['first', 'first', 'second', 'second', 'second', 'third', 'fourth', 'second', 'fourth'])
    expect(sync.diagnostics()).toMatchObject({ changeBindings: 1, changeLeases: 2 })
    second.release()
    fourth.release()
    expect(sync.diagnostics()).toMatchObject({ changeBindings: 1, changeLeases: 0 })
    await sync.destroy()
  })

  it("hands realtime-js the lease's frozen spec as the binding's filter: one object per distinct spec", async () => {
    const { realtime, sync } = fakeSupasync()
    const filtered = sync.changes({ table: 'components', filter: 'id=eq.1' }, () => {})
    const whole = sync.changes({ schema: 'app', table: 'tasks', event: 'INSERT' }, () => {})
    await flush()
    const filters = realtime.created[0]!.listeners.filter((listener) => listener.type === 'postgres_changes').map((listener) => listener.filter)
    expect(filters).toHaveLength(2)
    expect(filters[0]).toBe(filtered.spec)
    expect(filters[1]).toBe(whole.spec)
    expect(Object.isFrozen(filtered.spec)).toBe(true)
    expect(filtered.spec).toEqual({ event: '*', schema: 'public', table: 'components', filter: 'id=eq.1' })
    // No `filter` key at all when there is none (realtime-js sends the filter object in the join as it is).
    expect(Object.keys(whole.spec)).toEqual(['event', 'schema', 'table'])
    expect(JSON.stringify(whole.spec)).toBe('{"event":"INSERT","schema":"app","table":"tasks"}')
    await sync.destroy()
  })

  it('forgets a spec after its grace period and takes it again as new', async () => {
    const { sync, advance } = fakeSupasync({ graceMs: 500 })
    const specs = ['a=eq.1', 'a=eq.2', 'a=eq.3'].map((filter) => sync.changes({ table: 'components', filter }, () => {}))
    sync.changes({ table: 'other', filter: 'a=eq.1' }, () => {}).release()
    await flush()
    expect(sync.diagnostics().changeBindings).toBe(4)
    for (const lease of specs) lease.release()
    await advance(500)
    expect(sync.diagnostics()).toMatchObject({ changeBindings: 0, changeLeases: 0 })
    const again = sync.changes({ table: 'components', filter: 'a=eq.1' }, () => {})
    expect(sync.diagnostics()).toMatchObject({ changeBindings: 1, changeLeases: 1 })
    again.release()
    await sync.destroy()
  })
})
