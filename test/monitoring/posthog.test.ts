/**
 * docs/monitoring.md's PostHog recipe (docs/recipes/posthog.ts, shown verbatim there), run with PostHog's own Node
 * SDK. Its `fetch` option keeps the batches it would post: nothing leaves the machine. Events come from a real core
 * instance (fake realtime client) and a real queue.
 */
import type { SupasyncEvent } from '@supasync/core'
import { createQueue, memoryStorage, RequestFailure } from '@supasync/queue'
import { PostHog } from 'posthog-node'
import { describe, expect, it } from 'vitest'
import { captureSupasyncInPostHog, toAnalyticsEvent } from '../../docs/recipes/posthog.js'
import { fakeSupasync, flush } from '../../packages/core/test/fakeRealtime.js'
import { scriptedExecutor, testPorts } from '../../packages/queue/test/helpers.js'

/** A PostHog client whose requests are kept, not sent; `batches` holds each posted batch's events. */
function posthogClient() {
  const requests: { url: string; body: Record<string, any> }[] = []
  const posthog = new PostHog('phc_test_key', {
    host: 'https://posthog.invalid',
    flushAt: 100,
    flushInterval: 0,
    disableCompression: true,
    disableGeoip: true,
    fetch: async (url, options) => {
      requests.push({ url, body: JSON.parse(String(options.body)) })
      return { status: 200, text: async () => '{}', json: async () => ({}) }
    },
  })
  return { posthog, requests }
}

describe('the PostHog recipe', () => {
  it('captures lost and restored connections, missed changes, synced and refused writes and refused channels; nothing else', async () => {
    const { posthog, requests } = posthogClient()
    const { realtime, sync, advance } = fakeSupasync()
    const seen: SupasyncEvent[] = []
    const record = sync.onEvent((event) => seen.push(event))
    const stop = captureSupasyncInPostHog(sync, posthog, 'user-a11ce')
    const refused = () => new RequestFailure({ status: 400, message: 'invalid input syntax for type integer: "row-data-7"', pgCode: '22P02' })
    const queue = createQueue({ executor: scriptedExecutor([() => undefined, refused]).executor, storage: memoryStorage(), autoFlush: false, ports: testPorts(), sync })
    try {
      sync.channel('site:3')
      await flush()
      await advance(100)
      realtime.byTopic('site:3').at(-1)!.joined()
      realtime.heartbeatOk() // live
      await flush()
      realtime.heartbeatTimeout() // degraded
      await flush()
      await realtime.sendHeartbeat()
      realtime.heartbeatOk() // live again: restored
      await flush()
      sync.channel('vault:9', { private: true })
      await flush()
      realtime.byTopic('vault:9').at(-1)!.refuse('Unauthorized: You do not have permissions to read from this Channel topic: vault:9')
      sync.emitEvent({ type: 'poll', table: 'components', purpose: 'verify', rows: 1, ms: 12, ok: true })
      sync.emitEvent({ type: 'missed-by-realtime', table: 'components', count: 2 })
      await queue.enqueue({ table: 'components', type: 'upsert', rows: [{ id: 1, milestone: 'welded' }] })
      await queue.flush()
      await queue.enqueue({ table: 'notes', type: 'insert', rows: [{ project_id: 'row-data-7' }] })
      await queue.flush()
      await posthog.flush()

      const captured = requests.flatMap((request) => (request.body.batch as Record<string, any>[]) ?? [])
      expect(requests.every((request) => request.url.startsWith('https://posthog.invalid/'))).toBe(true)
      expect(captured.map((event) => [event.event, event.distinct_id])).toEqual(
        seen.flatMap((event) => {
          const analytics = toAnalyticsEvent(event)
          return analytics ? [[analytics.event, 'user-a11ce']] : []
        }),
      )
      const pick = (name: string) => captured.filter((event) => event.event === name).map((event) => Object.fromEntries(Object.entries(event.properties as Record<string, unknown>).filter(([key]) => !key.startsWith('$'))))
      expect(pick('supasync channel refused')).toEqual([{ kind: 'room', reason_code: 'Unauthorized' }])
      expect(pick('supasync connection restored')).toEqual([{ previous: 'degraded' }])
      expect(pick('supasync changes missed by realtime')).toEqual([{ table: 'components', count: 2 }])
      expect(pick('supasync offline writes synced')).toEqual([{ sent: 1, pending: 0, duration_ms: expect.any(Number) }])
      expect(pick('supasync write refused')).toEqual([{ table: 'notes' }])
      expect(captured).toHaveLength(5)
      // No topic, entry id or server text reached PostHog.
      expect(JSON.stringify(captured)).not.toMatch(/vault:9|row-data-7|site:3/)
    } finally {
      stop()
      record()
      queue.destroy()
      await posthog.shutdown()
      await sync.destroy()
    }
    expect(sync.diagnostics().eventListeners).toBe(0)
  })

  it('maps each event type: only those worth a product-analytics event', () => {
    const at = 0
    expect(toAnalyticsEvent({ type: 'status', at, state: 'offline', previous: 'live', rttMs: 5 })).toEqual({ event: 'supasync connection lost', properties: { previous: 'live' } })
    expect(toAnalyticsEvent({ type: 'status', at, state: 'live', previous: 'offline', rttMs: 5 })).toEqual({ event: 'supasync connection restored', properties: { previous: 'offline' } })
    expect(toAnalyticsEvent({ type: 'status', at, state: 'live', previous: 'connecting', rttMs: 5 })).toBeUndefined()
    expect(toAnalyticsEvent({ type: 'status', at, state: 'degraded', previous: 'live', rttMs: 5 })).toBeUndefined()
    expect(toAnalyticsEvent({ type: 'queue-flush', at, queue: 'q', sent: 0, remaining: 3, ms: 40 })).toBeUndefined()
    expect(toAnalyticsEvent({ type: 'channel-close', at, topic: 't', kind: 'changes', by: 'server', reason: 'Too many messages per second' })).toBeUndefined()
    expect(toAnalyticsEvent({ type: 'channel-close', at, topic: 't', kind: 'changes', by: 'refused', reason: 'Realtime was unable to connect to the project database' })).toEqual({ event: 'supasync channel refused', properties: { kind: 'changes', reason_code: 'other' } })
    expect(toAnalyticsEvent({ type: 'join', at, topic: 't', kind: 'room', private: false, ms: 10 })).toBeUndefined()
    expect(toAnalyticsEvent({ type: 'poll', at, table: 'a', purpose: 'poll', rows: 1, ms: 10, ok: true })).toBeUndefined()
    expect(toAnalyticsEvent({ type: 'presence-wait', at, topic: 't', ms: 900 })).toBeUndefined()
  })
})
