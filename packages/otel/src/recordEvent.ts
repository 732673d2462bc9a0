import type { Attributes } from '@opentelemetry/api'
import type { SupasyncEvent } from '@supasync/core'
import { SUPASYNC_ATTRIBUTES as A } from './attributes.js'
import { closeReasonKind } from './closeReason.js'
import type { Instruments } from './instruments.js'
import type { ResolvedOptions } from './options.js'

/** States a connection returns to live from: a first `connecting → live` is a connection, not a reconnect. */
const DOWN_STATES = new Set(['degraded', 'offline'])

/**
 * Records one event. Fields that can hold ids or user data never become attributes: topics and queue namespaces only
 * through the opt-ins, and neither dead-letter ids nor any server text (reasons become a kind).
 */
export function recordEvent(event: SupasyncEvent, instruments: Instruments, options: ResolvedOptions): void {
  const duration = (ms: number) => (options.durationUnit === 's' ? ms / 1000 : ms)
  const withBase = (attributes: Attributes): Attributes => ({ ...options.attributes, ...attributes })
  const topic = (value: string): Attributes => {
    const mapped = options.topic(value)
    return mapped === undefined ? {} : { [A.channelTopic]: mapped }
  }
  const queue = (value: string): Attributes => {
    const mapped = options.queue(value)
    return mapped === undefined ? {} : { [A.queueName]: mapped }
  }
  switch (event.type) {
    case 'status':
      instruments.stateChanges.add(1, withBase({ [A.connectionState]: event.state, [A.connectionPreviousState]: event.previous }))
      if (event.state === 'live' && DOWN_STATES.has(event.previous)) instruments.reconnects.add(1, withBase({ [A.connectionPreviousState]: event.previous }))
      return
    case 'join':
      instruments.joinDuration.record(duration(event.ms), withBase({ [A.channelKind]: event.kind, [A.channelPrivate]: event.private, ...topic(event.topic) }))
      return
    case 'channel-close':
      instruments.closes.add(1, withBase({ [A.channelKind]: event.kind, [A.closeBy]: event.by, [A.closeReason]: closeReasonKind(event.reason), ...topic(event.topic) }))
      return
    case 'poll': {
      const attributes = withBase({ [A.table]: event.table, [A.pollPurpose]: event.purpose, ...(event.ok ? {} : { [A.errorType]: '_OTHER' }) })
      instruments.pollDuration.record(duration(event.ms), attributes)
      instruments.pollRows.add(event.rows, attributes)
      return
    }
    case 'missed-by-realtime':
      instruments.missedChanges.add(event.count, withBase({ [A.table]: event.table }))
      return
    case 'queue-flush': {
      const attributes = withBase(queue(event.queue))
      instruments.flushDuration.record(duration(event.ms), attributes)
      instruments.flushOperations.record(event.sent, attributes)
      instruments.remaining.record(event.remaining, attributes)
      return
    }
    case 'dead-letter':
      instruments.deadLetters.add(1, withBase({ ...(event.table === '' ? {} : { [A.table]: event.table }), ...queue(event.queue) }))
      return
    case 'presence-wait':
      instruments.presenceWaitDuration.record(duration(event.ms), withBase(topic(event.topic)))
      return
    default:
      // An event type newer than this package: nothing to record (core may add types in a minor release).
      return
  }
}
