// @vitest-environment happy-dom
/**
 * useLiveTable and the queue hooks against a scripted PostgREST (msw) with the unmodified supabase-js: the refusals
 * and failures a real server gives, and a network that goes away.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { createClient } from '@supabase/supabase-js'
import { createQueue, memoryStorage, supabaseExecutor } from '@supasync/queue'
import { useLiveTable, useQueue, useQueueStatus } from '../src/index.js'
import { act, world } from './setup.js'

const URL_BASE = 'http://rest.test'
const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const ROWS = [1, 2, 3].map((id) => ({ id, project_id: 1, tag: `C-${id}`, updated_at: `2026-01-01T00:00:0${id}+00:00` }))

function setup() {
  const w = world()
  const supabase = createClient(URL_BASE, 'anon-key', { auth: { persistSession: false, autoRefreshToken: false } })
  const options = (table = 'components') => ({ supabase, table, sweepIntervalMs: false as const, maxStalenessMs: 6000 })
  return { ...w, supabase, options }
}

/** Lets msw answer (real promises) while the fake clock stands still. */
const settle = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 20)))

/** useLiveTable read the way a component that shows its error and freshness does (so it re-renders on them). */
function useShownLiveTable(options: Parameters<typeof useLiveTable>[0]) {
  const result = useLiveTable(options)
  void result.freshness
  return result
}

function probe<T>(w: ReturnType<typeof setup>, hook: () => T): { readonly current: T } {
  const box = { current: undefined as T }
  function Probe() {
    box.current = hook()
    return null
  }
  w.mount(<Probe />)
  return box
}

describe('useLiveTable against a scripted PostgREST', () => {
  it('401 (expired JWT): error UNAUTHORIZED whose message says to refresh the session; no rows, still loading', async () => {
    server.use(http.all(`${URL_BASE}/rest/v1/*`, () => HttpResponse.json({ code: 'PGRST303', message: 'JWT expired' }, { status: 401 })))
    const w = setup()
    const view = probe(w, () => useShownLiveTable(w.options()))
    await w.advance(100)
    await settle()
    await w.advance(100)
    expect(view.current.error?.code).toBe('UNAUTHORIZED')
    expect(view.current.error?.message).toMatch(/JWT expired/)
    expect(view.current.loading).toBe(true)
    expect(view.current.rows.size).toBe(0)
    await w.sync.destroy()
  })

  it('404 for an unknown table: error REJECTED naming the table and the fix', async () => {
    server.use(http.all(`${URL_BASE}/rest/v1/*`, () => HttpResponse.json({ code: 'PGRST205', message: "Could not find the table 'public.nope' in the schema cache" }, { status: 404 })))
    const w = setup()
    const view = probe(w, () => useShownLiveTable(w.options('nope')))
    await w.advance(100)
    await settle()
    await w.advance(100)
    expect(view.current.error?.code).toBe('REJECTED')
    expect(view.current.error?.message).toMatch(/nope/)
    await w.sync.destroy()
  })

  it('a burst of 503s: retried; the rows arrive and the error clears', async () => {
    let failures = 3
    server.use(
      http.all(`${URL_BASE}/rest/v1/*`, ({ request }) => {
        if (failures > 0) {
          failures--
          return HttpResponse.json({ message: 'Service Unavailable' }, { status: 503 })
        }
        if (new URL(request.url).pathname.endsWith('/rpc/supasync_watermark')) return HttpResponse.json({ code: 'PGRST202', message: 'Could not find the function' }, { status: 404 })
        return HttpResponse.json(request.url.includes('supasync_tombstones') ? [] : ROWS)
      }),
    )
    const w = setup()
    const view = probe(w, () => useShownLiveTable(w.options()))
    for (let step = 0; step < 20 && view.current.rows.size === 0; step++) {
      await w.advance(500)
      await settle()
    }
    expect(view.current.rows.size).toBe(3)
    expect(failures).toBe(0)
    for (let step = 0; step < 10 && view.current.error; step++) {
      await w.advance(500)
      await settle()
    }
    expect(view.current.error?.code).not.toBe('UNREACHABLE')
    await w.sync.destroy()
  })
})

describe('useLiveTable when the network goes away', () => {
  it('keeps the rows, reports UNREACHABLE, and clears the error once PostgREST answers again', async () => {
    let online = true
    server.use(
      http.all(`${URL_BASE}/rest/v1/*`, ({ request }) => {
        if (!online) return HttpResponse.error()
        if (new URL(request.url).pathname.endsWith('/rpc/supasync_watermark')) return HttpResponse.json({ code: 'PGRST202', message: 'Could not find the function' }, { status: 404 })
        return HttpResponse.json(request.url.includes('supasync_tombstones') ? [] : ROWS)
      }),
    )
    const w = setup()
    const view = probe(w, () => useShownLiveTable(w.options()))
    for (let step = 0; step < 10 && view.current.rows.size === 0; step++) {
      await w.advance(200)
      await settle()
    }
    expect(view.current.rows.size).toBe(3)
    online = false
    for (let step = 0; step < 20 && view.current.error?.code !== 'UNREACHABLE'; step++) {
      await w.advance(500)
      await settle()
    }
    expect(view.current.error?.code).toBe('UNREACHABLE')
    expect(view.current.error?.message).toMatch(/retries by itself/)
    expect(view.current.rows.size).toBe(3)
    online = true
    for (let step = 0; step < 20 && view.current.error?.code === 'UNREACHABLE'; step++) {
      await w.advance(500)
      await settle()
    }
    expect(view.current.error?.code).not.toBe('UNREACHABLE')
    await w.sync.destroy()
  })
})

describe('useQueue / useQueueStatus against a scripted PostgREST', () => {
  it('"Work not saved" while the network is down; saved once it answers again', async () => {
    let online = false
    const writes: unknown[] = []
    server.use(
      http.post(`${URL_BASE}/rest/v1/components`, async ({ request }) => {
        if (!online) return HttpResponse.error()
        writes.push(await request.json())
        return new HttpResponse(null, { status: 201 })
      }),
    )
    const w = setup()
    const queue = createQueue({ executor: supabaseExecutor(w.supabase), storage: memoryStorage(), retry: { retries: 0 } })
    const view = { current: undefined as unknown as { status: ReturnType<typeof useQueueStatus>; queue: ReturnType<typeof useQueue> } }
    function Banner() {
      view.current = { status: useQueueStatus(), queue: useQueue() }
      return view.current.status.pending > 0 ? <b>Work not saved</b> : <i>saved</i>
    }
    const rendered = w.mount(<Banner />, queue)
    expect(rendered.container.textContent).toBe('saved')
    await act(async () => {
      await view.current.queue.enqueue({ type: 'upsert', table: 'components', rows: [{ id: 1, milestone: 'welded' }] })
    })
    await settle()
    expect(rendered.container.textContent).toBe('Work not saved')
    online = true
    await act(async () => {
      await view.current.queue.flush()
    })
    await settle()
    expect(rendered.container.textContent).toBe('saved')
    expect(writes).toEqual([[{ id: 1, milestone: 'welded' }]])
    queue.destroy()
    await w.sync.destroy()
  })

  it('a provider without a queue: useQueueStatus throws an error that says how to pass one', () => {
    const w = setup()
    function Banner() {
      useQueueStatus()
      return null
    }
    expect(() => w.mount(<Banner />)).toThrow(/has no queue\. Pass one/)
  })
})
