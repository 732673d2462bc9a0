import { describe, expect, it } from 'vitest'
import { createSupasync } from '@supasync/core'
import { createLiveTable, PollingError } from '../src/index.js'
import { useStack } from './harness.js'

const local = useStack()

/** A live table over a fresh client; how long `ready` took to settle and how it settled. */
async function settle(options: { table: string; cursor?: string; primaryKey?: string; filter?: Record<string, number> }, clientOptions: Record<string, unknown> = {}) {
  const supabase = local.stack.createClient(clientOptions)
  const errors: Error[] = []
  const sync = createSupasync(supabase, { onError: (error) => errors.push(error) })
  const live = createLiveTable(sync, { ...options, maxStalenessMs: 3000, requestTimeoutMs: 1000, onError: (error) => errors.push(error) })
  const startedAt = Date.now()
  const outcome = await live.ready.then(
    () => undefined,
    (error: unknown) => error,
  )
  const tookMs = Date.now() - startedAt
  const freshness = live.freshness.get()
  live.destroy()
  await sync.destroy()
  await supabase.removeAllChannels()
  return { outcome, tookMs, freshness }
}

describe('live.ready settles with the fix when the load cannot succeed (#11.8)', () => {
  it('rejects for a table that does not exist, naming it and the fix', async () => {
    const { outcome, tookMs, freshness } = await settle({ table: 'no_such_table' })
    expect(outcome).toBeInstanceOf(PollingError)
    expect((outcome as PollingError).code).toBe('REJECTED')
    expect((outcome as PollingError).message).toMatch(/no_such_table/)
    expect((outcome as PollingError).message).toMatch(/Fix: /)
    expect(tookMs).toBeLessThan(2000)
    expect(freshness.error?.code).toBe('REJECTED')
  })

  it('rejects for a missing column, naming the option to check', async () => {
    const filtered = await settle({ table: 'components', filter: { site_id: 1 } })
    expect((filtered.outcome as PollingError).code).toBe('REJECTED')
    expect((filtered.outcome as PollingError).message).toMatch(/site_id/)
    expect((filtered.outcome as PollingError).message).toMatch(/Fix: .*filter/)
    expect(filtered.tookMs).toBeLessThan(2000)
    const cursor = await settle({ table: 'components', cursor: 'changed_at' })
    expect((cursor.outcome as PollingError).code).toBe('BAD_ROW')
    expect((cursor.outcome as PollingError).message).toMatch(/changed_at/)
    expect(cursor.tookMs).toBeLessThan(2000)
  })

  it('rejects for a key PostgREST refuses', async () => {
    const wrongKey = local.stack.signJwt({ role: 'anon' }).replace(/\.[^.]+$/, '.c2lnbmF0dXJl')
    const { outcome, tookMs } = await settle({ table: 'components' }, { key: wrongKey })
    expect((outcome as PollingError).code).toBe('UNAUTHORIZED')
    expect((outcome as PollingError).message).toMatch(/refused the token/)
    expect(tookMs).toBeLessThan(2000)
  })
})
