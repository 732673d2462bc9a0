/**
 * postgrest-js (2.100+) retries a failed GET by itself after 1, 2 and 4 s. Polling has its own schedule and budget:
 * a failure must reach it at once, and a request must go out once per read (msw scripts the server; the client is the
 * unmodified supabase-js).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { createClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import type { SupasyncError } from '@supasync/core'
import { createLiveTable } from '../src/index.js'
import { fakeSync, manualClock } from './fakes.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterAll(() => server.close())

describe('reads through supabase-js', () => {
  it('report a 503 at once, with one request per read, instead of waiting out postgrest-js\'s own retries', async () => {
    let requests = 0
    server.use(
      // No migration: the watermark RPC (a POST, which postgrest-js never retries) is missing; the reads are GETs.
      http.post('http://rest.test/rest/v1/rpc/*', () => HttpResponse.json({ code: 'PGRST202', message: 'Could not find the function' }, { status: 404 })),
      http.get('http://rest.test/rest/v1/*', () => {
        requests++
        return HttpResponse.json({ message: 'Service Unavailable' }, { status: 503 })
      }),
    )
    const supabase = createClient('http://rest.test', 'anon', { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } })
    const fake = fakeSync(manualClock(Date.UTC(2026, 0, 1)))
    const errors: SupasyncError<string>[] = []
    const live = createLiveTable(fake.sync, { supabase, table: 'components', sweepIntervalMs: false, onError: (error) => errors.push(error) })
    const deadline = Date.now() + 900
    const unavailable = () => errors.find((error) => /503|Service Unavailable/.test(error.message))
    while (!unavailable() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    // postgrest-js would still be sleeping before its first retry (1 s).
    expect(unavailable()).toBeDefined()
    expect(requests).toBe(1)
    live.destroy()
  })
})
