/**
 * The queue's events from the real queue code: createQueue({ sync }) over a real core instance, sending through
 * supabaseExecutor and the unmodified supabase-js to a PostgREST that msw scripts.
 */
import { createClient } from '@supabase/supabase-js'
import type { SupasyncEvent } from '@supasync/core'
import { createQueue, memoryStorage, supabaseExecutor } from '@supasync/queue'
import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fakeSupasync } from '../../core/test/fakeRealtime.js'
import { testPorts } from '../../queue/test/helpers.js'
import { instrumentSupasync } from '../src/index.js'
import { metricsHarness } from './metricsHarness.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterAll(() => server.close())

describe('queue metrics from a real queue', () => {
  it('count flushes, the writes each sent, what is still pending and the dead letters, without ids or reasons', async () => {
    const bodies: unknown[] = []
    server.use(
      http.post('http://rest.test/rest/v1/components', async ({ request }) => {
        bodies.push(await request.json())
        return new HttpResponse(null, { status: 201 })
      }),
      // What PostgREST answers for a value Postgres cannot read: its message quotes the value.
      http.post('http://rest.test/rest/v1/notes', () => HttpResponse.json({ code: '22P02', message: 'invalid input syntax for type integer: "row-data-7"', details: null, hint: null }, { status: 400 })),
    )
    const supabase = createClient('http://rest.test', 'anon', { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } })
    const { sync } = fakeSupasync()
    const otel = metricsHarness()
    const events: SupasyncEvent[] = []
    const record = sync.onEvent((event) => events.push(event))
    const off = instrumentSupasync(sync, { meterProvider: otel.meterProvider })
    const queue = createQueue({ executor: supabaseExecutor(supabase), storage: memoryStorage(), autoFlush: false, ports: testPorts(), sync, namespace: 'user-a11ce' })
    try {
      for (const n of [1, 2, 3]) await queue.enqueue({ table: 'components', type: 'upsert', rows: [{ id: n, milestone: 'welded' }] })
      await queue.flush()
      await queue.enqueue({ table: 'notes', type: 'insert', rows: [{ project_id: 'row-data-7' }] })
      await queue.enqueue({ table: 'components', type: 'upsert', rows: [{ id: 4, milestone: 'tested' }] })
      await queue.flush()

      expect(bodies.flat()).toHaveLength(4) // the three upserts went out (together), then the fourth
      expect(queue.failed.get()).toHaveLength(1)
      const flushes = events.filter((event) => event.type === 'queue-flush')
      expect(flushes.map(({ sent, remaining }) => ({ sent, remaining }))).toEqual([
        { sent: 3, remaining: 0 },
        { sent: 1, remaining: 0 },
      ])

      const got = await otel.collect()
      const duration = got.histogram('supasync.queue.flush.duration')
      expect(duration.count).toBe(2)
      expect(duration.sum).toBeCloseTo(flushes.reduce((sum, event) => sum + event.ms, 0) / 1000, 9)
      expect(got.histogram('supasync.queue.flush.operations')).toEqual({ count: 2, sum: 4 })
      expect(got.value('supasync.queue.remaining')).toBe(0)
      expect(got.value('supasync.queue.dead_letters', { 'supasync.table': 'notes' })).toBe(1)
      expect(got.attributeSets('supasync.queue.dead_letters')).toEqual([{ 'supasync.table': 'notes' }])
      // The reason (which quotes the row's value), the entry id and the namespace stay out of the metrics.
      const everything = JSON.stringify([...got.metrics.values()].map((metric) => metric.dataPoints))
      for (const secret of ['row-data-7', queue.failed.get()[0]!.id, 'a11ce']) expect(everything).not.toContain(secret)
      // ...and the event carries the server's words without the value it quoted (core's redactValues).
      expect(events.find((event) => event.type === 'dead-letter')).toMatchObject({ table: 'notes', reason: expect.stringContaining('"…"') })
      expect(JSON.stringify(events)).not.toContain('row-data-7')
    } finally {
      queue.destroy()
      off()
      record()
      await otel.shutdown()
      await sync.destroy()
    }
  })
})
