import { describe, expect, it } from 'vitest'
import { manualClock } from '../../presence/test/helpers.js'
import { createSupasync, type SupasyncError } from '../src/index.js'
import { FakeRealtime, flush } from './fakeRealtime.js'

describe('a permanent refusal of a make-before-break replacement', () => {
  it('fails only the newcomer: a binding live on the current channel stays live', async () => {
    const realtime = new FakeRealtime()
    const clock = manualClock(0)
    const errors: SupasyncError[] = []
    const sync = createSupasync(realtime.asClient(), { ports: { timers: clock }, onError: (error) => errors.push(error) })
    const advance = async (ms: number) => {
      for (let left = ms; left > 0; left -= 100) {
        clock.advance(Math.min(100, left))
        await flush()
      }
    }
    const a = sync.changes({ table: 'components' }, () => {})
    await flush()
    const first = realtime.created[0]!
    first.joined()
    first.system({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL' })
    expect(a.status.get()).toBe('live')
    // A second binding on the same host: a new channel carrying both is joined before the old one is left.
    const b = sync.changes({ table: 'other' }, () => {})
    await advance(500)
    const swap = realtime.created.at(-1)!
    expect(swap).not.toBe(first)
    swap.refuse('InvalidJoinPayload: join payload too large') // permanent: retrying cannot fix it
    await advance(2000)
    expect(b.status.get()).toBe('error')
    expect(a.status.get()).toBe('live')
    // One refusal (the lease's failure may be reported beside the pool's report of it, but nothing is retried).
    expect(new Set(errors.filter((error) => error.code === 'JOIN_REFUSED').map((error) => error.message)).size).toBe(1)
    expect(realtime.created).toHaveLength(2)
    sync.destroy()
  })
})
