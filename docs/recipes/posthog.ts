import type { Supasync, SupasyncEvent } from '@supasync/core'
import type { PostHog } from 'posthog-node'

/** A product-analytics event: its name and properties. */
export interface AnalyticsEvent {
  event: string
  properties: Record<string, string | number | boolean>
}

/**
 * Captures the supasync events that say something about the user's experience, as PostHog events of `distinctId`
 * (your user's id): connection lost and back, changes realtime missed, offline writes synced or refused, channels
 * refused. Joins, polls and presence waits are left out: they come every few seconds and each captured event counts.
 * Returns the unsubscribe.
 */
export function captureSupasyncInPostHog(sync: Pick<Supasync, 'onEvent'>, posthog: PostHog, distinctId: string): () => void {
  return sync.onEvent((event) => {
    const captured = toAnalyticsEvent(event)
    if (captured) posthog.capture({ distinctId, ...captured })
  })
}

/** Which events are captured, under which name, with which properties (no topics, ids or server texts). */
export function toAnalyticsEvent(event: SupasyncEvent): AnalyticsEvent | undefined {
  switch (event.type) {
    case 'status':
      if (event.state === 'offline') return { event: 'supasync connection lost', properties: { previous: event.previous } }
      if (event.state === 'live' && (event.previous === 'offline' || event.previous === 'degraded')) {
        return { event: 'supasync connection restored', properties: { previous: event.previous } }
      }
      return undefined
    case 'missed-by-realtime':
      return { event: 'supasync changes missed by realtime', properties: { table: event.table, count: event.count } }
    case 'queue-flush':
      if (event.sent === 0) return undefined
      return { event: 'supasync offline writes synced', properties: { sent: event.sent, pending: event.remaining, duration_ms: event.ms } }
    case 'dead-letter':
      return { event: 'supasync write refused', properties: { table: event.table } }
    case 'channel-close':
      if (event.by !== 'refused') return undefined
      // The server's code (`Unauthorized`, `InvalidJWTToken`…), not its words, which name the topic.
      return { event: 'supasync channel refused', properties: { kind: event.kind, reason_code: /^(\w+):/.exec(event.reason ?? '')?.[1] ?? 'other' } }
    default:
      return undefined
  }
}
