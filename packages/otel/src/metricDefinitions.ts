/**
 * Every instrument @supasync/otel creates: name (after the prefix), kind, unit and description. Names and units follow
 * the OpenTelemetry semantic conventions' guidelines (https://opentelemetry.io/docs/specs/semconv/general/metrics/):
 * a dotted hierarchy, counts of things with a `{thing}` annotation as unit, durations in seconds by default. An
 * operation with a duration has no counter of its own: its histogram's count is the number of operations, as for
 * `http.server.request.duration`.
 */
export interface MetricDefinition {
  /** The name after `<prefix>.`. */
  name: string
  instrument: 'counter' | 'histogram' | 'gauge'
  /** UCUM unit, or `duration` for `durationUnit` (`s` or `ms`). */
  unit: string
  description: string
  /** Histogram bucket boundaries advised to the SDK; for durations in ms (divided by 1000 for seconds). */
  buckets?: readonly number[]
}

export const SUPASYNC_METRICS = {
  stateChanges: {
    name: 'connection.state_changes',
    instrument: 'counter',
    unit: '{change}',
    description: 'Changes of the connection status (sync.status), by the state entered and the state left.',
  },
  reconnects: {
    name: 'connection.reconnects',
    instrument: 'counter',
    unit: '{reconnect}',
    description: 'Returns to live after the connection was degraded or offline.',
  },
  joinDuration: {
    name: 'channel.join.duration',
    instrument: 'histogram',
    unit: 'duration',
    description: 'Time from opening a realtime channel to SUBSCRIBED, per join (first joins and rejoins).',
    buckets: [50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000],
  },
  closes: {
    name: 'channel.closes',
    instrument: 'counter',
    unit: '{close}',
    description: 'Realtime channels that went away: closed by the server, refused at join, or left after the last holder.',
  },
  pollDuration: {
    name: 'poll.duration',
    instrument: 'histogram',
    unit: 'duration',
    description: 'Duration of live-table reads through PostgREST (verification and fallback polls), per poll.',
    buckets: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000],
  },
  pollRows: {
    name: 'poll.rows',
    instrument: 'counter',
    unit: '{row}',
    description: 'Rows read by live-table polls.',
  },
  missedChanges: {
    name: 'realtime.missed_changes',
    instrument: 'counter',
    unit: '{change}',
    description: 'Changed rows a verification poll found that realtime should have delivered by then (lost or late).',
  },
  flushDuration: {
    name: 'queue.flush.duration',
    instrument: 'histogram',
    unit: 'duration',
    description: 'Duration of an offline-queue flush (a busy period: from the first request to the last answer).',
    buckets: [10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000],
  },
  flushOperations: {
    name: 'queue.flush.operations',
    instrument: 'histogram',
    unit: '{operation}',
    description: 'Queued writes sent per flush.',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
  },
  remaining: {
    name: 'queue.remaining',
    instrument: 'gauge',
    unit: '{operation}',
    description: 'Queued writes still pending after the last flush (sent and dead letters not included).',
  },
  deadLetters: {
    name: 'queue.dead_letters',
    instrument: 'counter',
    unit: '{operation}',
    description: 'Queued writes the server refused for good (moved to the dead letters).',
  },
  presenceWaitDuration: {
    name: 'presence.wait.duration',
    instrument: 'histogram',
    unit: 'duration',
    description: "Time presence calls wait for the server's budget of 5 calls per 30 s, per wait.",
    buckets: [100, 250, 500, 1000, 2500, 5000, 10_000, 20_000, 30_000],
  },
} as const satisfies Record<string, MetricDefinition>

export type MetricKey = keyof typeof SUPASYNC_METRICS
