// @vitest-environment node
/**
 * useLiveTable's `error`, `loading` and `suspense()` against a scripted PostgREST (msw) read through the real
 * supabase-js client: a refused token (401), an unknown table (404) and a burst of 503s that passes.
 * Realtime is core's fake (its channels never join, so the table polls); time is a manual clock.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'
import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import WebSocket from 'ws'
import { createClient, type RealtimeClientOptions } from '@supabase/supabase-js'
import { createSupasync } from '@supasync/core'
import { FakeRealtime } from '../../core/test/fakeRealtime.js'
import { manualClock, pgts } from '../../polling/test/fakes.js'
import { useLiveTable } from '../src/index.js'

const URL_BASE = 'http://postgrest.test'
const T0 = Date.UTC(2026, 0, 1)
const ROWS = [1, 2, 3].map((id) => ({ id, tag: `C-${id}`, updated_at: pgts(T0 * 1000 - 60_000_000 + id) }))

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

/** No watermark function on this server: the table reads without it (as before the migration's RPC existed). */
const noWatermark = http.post(`${URL_BASE}/rest/v1/rpc/supasync_watermark`, () =>
  HttpResponse.json({ code: 'PGRST202', message: 'Could not find the function public.supasync_watermark without parameters in the schema cache', details: null, hint: null }, { status: 404 }),
)

function world(table = 'components') {
  const clock = manualClock(T0)
  const sync = createSupasync(new FakeRealtime().asClient(), { ports: { timers: clock }, onError: () => {} })
  const supabase = createClient(URL_BASE, 'anon-key', {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as unknown as RealtimeClientOptions['transport'] },
  })
  const scope = effectScope()
  const errors: string[] = []
  const live = scope.run(() => useLiveTable<{ id: number; tag: string }>({ supabase, table, sweepIntervalMs: false, onError: (error) => errors.push(error.code) }, {}, sync))!
  return { clock, sync, scope, live, errors }
}

describe('useLiveTable error surfacing (PostgREST scripted with msw)', () => {
  it('401: error UNAUTHORIZED says how to fix the token, loading stays true, suspense() rejects', async () => {
    server.use(http.all(`${URL_BASE}/rest/v1/*`, () => HttpResponse.json({ code: 'PGRST301', message: 'JWT expired', details: null, hint: null }, { status: 401 })))
    const { live, scope, sync, errors } = world()
    const suspended = live.suspense().catch((error: unknown) => error)
    await vi.waitFor(() => expect(live.error.value?.code).toBe('UNAUTHORIZED'), { timeout: 5000 })
    expect(live.error.value!.message).toMatch(/refused the token.*JWT expired.*anon key/)
    expect(live.loading.value).toBe(true)
    expect(live.rows.value.size).toBe(0)
    expect(await suspended).toMatchObject({ code: 'UNAUTHORIZED' })
    expect(errors).toContain('UNAUTHORIZED')
    scope.stop()
    await sync.destroy()
  })

  it('404 unknown table: error REJECTED names the table fix', async () => {
    server.use(
      noWatermark,
      http.get(`${URL_BASE}/rest/v1/nope`, () => HttpResponse.json({ code: '42P01', message: 'relation "public.nope" does not exist', details: null, hint: null }, { status: 404 })),
    )
    const { live, scope, sync } = world('nope')
    await vi.waitFor(() => expect(live.error.value?.code).toBe('REJECTED'), { timeout: 5000 })
    expect(live.error.value!.message).toMatch(/relation "public\.nope" does not exist.*check the table and schema options/)
    expect(live.freshness.value.error).toBe(live.error.value)
    await expect(live.suspense()).rejects.toMatchObject({ code: 'REJECTED' })
    scope.stop()
    await sync.destroy()
  })

  it('a burst of 503s: error UNREACHABLE while it lasts, then the rows, no error, not loading', async () => {
    // postgrest-js itself retries a GET answered 503 three times (after Retry-After, here 0 s): 8 failures are two
    // failed reads as polling sees them, then a third that succeeds.
    let failures = 8
    server.use(
      noWatermark,
      http.get(`${URL_BASE}/rest/v1/components`, () =>
        failures-- > 0 ? HttpResponse.json({ message: 'Service Unavailable' }, { status: 503, headers: { 'Retry-After': '0' } }) : HttpResponse.json(ROWS),
      ),
    )
    const { live, scope, sync, clock } = world()
    const suspended = live.suspense()
    await vi.waitFor(() => expect(live.error.value?.code).toBe('UNREACHABLE'), { timeout: 5000 })
    expect(live.error.value!.message).toMatch(/retries by itself/)
    expect(live.loading.value).toBe(true)
    // The load retries on the instance's clock (backing off); let each retry's request complete before the next.
    await vi.waitFor(
      async () => {
        clock.advance(2_000)
        await new Promise((resolve) => setImmediate(resolve))
        expect(live.rows.value.size).toBe(3)
      },
      { timeout: 10_000, interval: 20 },
    )
    expect(failures).toBeLessThan(0)
    expect(live.error.value).toBeUndefined()
    expect(live.loading.value).toBe(false)
    expect((await suspended).size).toBe(3)
    scope.stop()
    await sync.destroy()
  })
})
