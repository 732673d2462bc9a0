/**
 * The whole path on a local stack (real Postgres, PostgREST and Realtime server): a live table of @supasync/polling
 * over supabase-js and a real core instance, realtime losing every change (faults.dropChanges(1)), and the
 * verification polls finding them. The metrics must agree with the events and with the live table's own counters.
 */
import type { SupasyncEvent } from '@supasync/core'
import { describe, expect, it } from 'vitest'
import { observe, useStack, waitFor } from '../../polling/test/harness.js'
import { instrumentSupasync } from '../src/index.js'
import { metricsHarness } from './metricsHarness.js'

const local = useStack()

describe('metrics of a live table on a local stack', () => {
  it('count verification polls, their rows and the changes realtime missed, as the live table does', async () => {
    const observer = local.track(observe(local.stack, { filter: { project_id: 1 } }))
    const otel = metricsHarness()
    const events: SupasyncEvent[] = []
    const record = observer.sync.onEvent((event) => events.push(event))
    const off = instrumentSupasync(observer.sync, { meterProvider: otel.meterProvider })
    try {
      await observer.live.ready
      await waitFor(() => observer.live.freshness.get().mode === 'realtime' && observer.sync.status.get().state === 'live', 5000, 'mode realtime, status live')
      local.stack.faults.dropChanges(1)
      await local.stack.query(`update public.components set milestone = 'lost by realtime' where id = 2`)
      await waitFor(() => observer.live.get(2)?.milestone === 'lost by realtime', 5000, 'the change, found by a verification poll')
      await waitFor(() => observer.live.stats().missedByRealtime >= 1, 5000, 'counted as missed')
      off()
      record()
      expect(observer.sync.diagnostics().eventListeners).toBe(0)

      const got = await otel.collect()
      const missed = observer.live.stats().missedByRealtime
      expect(got.value('supasync.realtime.missed_changes', { 'supasync.table': 'components' })).toBe(missed)
      expect(events.filter((event) => event.type === 'missed-by-realtime').reduce((sum, event) => sum + event.count, 0)).toBe(missed)

      const polls = events.filter((event) => event.type === 'poll')
      expect(polls.some((event) => event.purpose === 'verify' && event.rows >= 1)).toBe(true)
      for (const purpose of new Set(polls.map((event) => event.purpose))) {
        const these = polls.filter((event) => event.purpose === purpose)
        const attributes = { 'supasync.table': 'components', 'supasync.poll.purpose': purpose }
        const histogram = got.histogram('supasync.poll.duration', attributes)
        expect(histogram.count, purpose).toBe(these.length)
        expect(histogram.sum, purpose).toBeCloseTo(these.reduce((sum, event) => sum + event.ms, 0) / 1000, 9)
        expect(got.value('supasync.poll.rows', attributes), purpose).toBe(these.reduce((sum, event) => sum + event.rows, 0))
      }
      // The changes channel joined through the real server; no topic among the attributes.
      const joins = events.filter((event) => event.type === 'join')
      expect(joins.length).toBeGreaterThanOrEqual(1)
      expect(got.histogram('supasync.channel.join.duration', { 'supasync.channel.kind': 'changes', 'supasync.channel.private': false }).count).toBe(joins.length)
      expect(got.value('supasync.connection.state_changes', { 'supasync.connection.state': 'live', 'supasync.connection.previous_state': 'connecting' })).toBeGreaterThanOrEqual(1)
      expect(observer.errors).toEqual([])
    } finally {
      off()
      record()
      await otel.shutdown()
    }
  }, 60_000)
})
