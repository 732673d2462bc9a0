import { describe, expect, it } from 'vitest'
import { fakeSupasync, flush } from './fakeRealtime.js'

describe('a permanent refusal of a make-before-break replacement', () => {
  it('fails only the newcomer: a binding live on the current channel stays live', async () => {
    const { realtime, errors, sync, advance } = fakeSupasync()
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
