import * as Sentry from '@sentry/browser'
import type { Supasync, SupasyncEvent } from '@supasync/core'

/**
 * Sends supasync's events to Sentry: every event but a routine poll becomes a breadcrumb (the trail shown with the
 * app's next error), and the two events someone must act on become issues: a dead letter (a queued write the server
 * refused for good) and a refused channel (the server will not let this user join). Returns the unsubscribe.
 */
export function reportSupasyncToSentry(sync: Pick<Supasync, 'onEvent'>): () => void {
  return sync.onEvent((event) => {
    // A live table polls every few seconds: those crumbs would push the useful ones out (Sentry keeps the last 100).
    if (event.type === 'poll' && event.ok) return
    Sentry.addBreadcrumb({
      category: `supasync.${event.type}`,
      level: event.type === 'dead-letter' || (event.type === 'channel-close' && event.by === 'refused') ? 'error' : 'info',
      message: describeEvent(event),
      data: crumbData(event),
      timestamp: event.at / 1000, // Sentry wants seconds
    })
    if (event.type === 'dead-letter') {
      // No Error object exists (the server refused a request): a message, grouped per table.
      Sentry.captureMessage(`supasync: the server refused a queued write to ${event.table || 'an RPC'}`, {
        level: 'error',
        tags: { 'supasync.table': event.table, 'supasync.pg_code': event.pgCode ?? 'none' },
        // The reason has the quoted values removed (redactValues), but your own triggers' messages pass as they are:
        // in extra, not in tags (indexed).
        extra: { reason: event.reason, status: event.status, entryId: event.id, queue: event.queue },
        fingerprint: ['supasync-dead-letter', event.table],
      })
    }
    if (event.type === 'channel-close' && event.by === 'refused') {
      Sentry.captureMessage(`supasync: realtime refused a ${event.kind} channel`, {
        level: 'warning',
        tags: { 'supasync.channel.kind': event.kind },
        extra: { topic: event.topic, reason: event.reason },
        // One issue per kind of refusal (`Unauthorized`, `InvalidJWTToken`…), not per topic.
        fingerprint: ['supasync-channel-refused', event.kind, /^(\w+):/.exec(event.reason ?? '')?.[1] ?? 'other'],
      })
    }
  })
}

function describeEvent(event: SupasyncEvent): string {
  switch (event.type) {
    case 'status':
      return `connection ${event.previous} → ${event.state}`
    case 'join':
      return `joined ${event.topic} in ${event.ms} ms`
    case 'channel-close':
      return `${event.topic} closed (${event.by})${event.reason ? `: ${event.reason}` : ''}`
    case 'poll':
      return `poll of ${event.table} failed`
    case 'missed-by-realtime':
      return `${event.count} changes of ${event.table} missed by realtime`
    case 'queue-flush':
      return `queue sent ${event.sent}, ${event.remaining} pending`
    case 'dead-letter':
      return `write to ${event.table || 'an RPC'} refused`
    case 'presence-wait':
      return `presence on ${event.topic} waits ${event.ms} ms`
  }
}

/** The event's fields, without `type` and `at` (the crumb has them) and without the dead letter's reason (the issue has it). */
function crumbData(event: SupasyncEvent): Record<string, unknown> {
  const { type: _type, at: _at, ...fields } = event
  if (event.type === 'dead-letter') return { queue: event.queue, table: event.table, id: event.id }
  return fields
}
