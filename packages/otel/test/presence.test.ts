/**
 * Presence waits from the real presence code: createPresence over a real core instance whose fake realtime client
 * accepts every track, with a manual clock, so a burst of updates runs into the client's call budget.
 */
import type { SupasyncEvent } from '@supasync/core'
import { createPresence } from '@supasync/presence'
import { describe, expect, it } from 'vitest'
import { fakeSupasync, flush } from '../../core/test/fakeRealtime.js'
import { instrumentSupasync } from '../src/index.js'
import { metricsHarness } from './metricsHarness.js'

describe('presence metrics from a real presence room', () => {
  it('record each wait for the presence budget with its duration, and the topic only when asked', async () => {
    const { realtime, sync, advance } = fakeSupasync()
    const otel = metricsHarness()
    const withTopics = metricsHarness()
    const events: SupasyncEvent[] = []
    const record = sync.onEvent((event) => events.push(event))
    const offs = [instrumentSupasync(sync, { meterProvider: otel.meterProvider }), instrumentSupasync(sync, { meterProvider: withTopics.meterProvider, topics: true })]
    const room = createPresence(sync, 'site:3', { key: 'ann', state: { n: 0 } })
    try {
      await flush()
      const channel = realtime.byTopic('site:3').at(-1)!
      const tracked: unknown[] = []
      channel.track = async (payload?: unknown) => {
        tracked.push(payload)
        return 'ok'
      }
      channel.joined()
      await flush()
      for (let n = 1; n <= 30; n++) {
        room.update({ n })
        await advance(200)
      }
      await advance(40_000) // every wait runs out; the last state goes out
      const waits = events.filter((event) => event.type === 'presence-wait')
      // Calls are spaced (short waits) and at most 4 go out in any 31 s (one long wait before the fifth).
      const long = waits.filter((event) => event.ms > 20_000)
      expect(long).toHaveLength(1)
      expect(waits.length).toBeGreaterThan(long.length)
      expect(JSON.stringify(tracked.at(-1))).toContain('"n":30') // the last state went out

      const got = await otel.collect()
      const histogram = got.histogram('supasync.presence.wait.duration')
      expect(histogram.count).toBe(waits.length)
      expect(histogram.sum).toBeCloseTo(waits.reduce((sum, event) => sum + event.ms, 0) / 1000, 9)
      // In seconds, in the advised buckets: the long wait falls in (20 s, 30 s], the short ones at or below 1 s.
      const buckets = (got.metrics.get('supasync.presence.wait.duration')!.dataPoints[0]!.value as { buckets: { boundaries: number[]; counts: number[] } }).buckets
      const countAt = (bound: number) => buckets.counts[buckets.boundaries.indexOf(bound)]
      expect(countAt(30)).toBe(1)
      expect(buckets.counts.slice(0, buckets.boundaries.indexOf(1) + 1).reduce((a, b) => a + b, 0)).toBe(waits.length - 1)
      expect(got.attributeSets('supasync.presence.wait.duration')).toEqual([{}])
      expect((await withTopics.collect()).histogram('supasync.presence.wait.duration', { 'supasync.channel.topic': 'site:3' }).count).toBe(waits.length)
    } finally {
      room.leave()
      for (const off of offs) off()
      record()
      await otel.shutdown()
      await withTopics.shutdown()
      await sync.destroy()
    }
  })
})
