/**
 * The attribute keys @supasync/otel records, in the OpenTelemetry style (a dotted namespace, snake_case words;
 * https://opentelemetry.io/docs/specs/semconv/general/naming/). Every value is one of a few words, a table name or a
 * boolean, except the opt-in ones: a topic (`topics`) and a queue's namespace (`queues`) can hold ids.
 */
export const SUPASYNC_ATTRIBUTES = {
  /** `connecting` / `live` / `degraded` / `offline`: the state entered. */
  connectionState: 'supasync.connection.state',
  /** The state left. */
  connectionPreviousState: 'supasync.connection.previous_state',
  /** `room` (a channel of `sync.channel`) or `changes` (a postgres_changes channel). */
  channelKind: 'supasync.channel.kind',
  /** Whether the room is private (Realtime Authorization); changes channels are public. */
  channelPrivate: 'supasync.channel.private',
  /** Opt-in (`topics`): the channel's topic, or what your mapping made of it. */
  channelTopic: 'supasync.channel.topic',
  /** `server` (the server closed it), `refused` (a join was refused), `release` (supasync left it). */
  closeBy: 'supasync.channel.close.by',
  /** The kind of the server's reason ({@link closeReasonKind}). */
  closeReason: 'supasync.channel.close.reason',
  /** The table of a live table or of a dead letter. */
  table: 'supasync.table',
  /** `verify` (while realtime is claimed), `poll` (polling mode), `load`, `catch-up`. */
  pollPurpose: 'supasync.poll.purpose',
  /** Opt-in (`queues`): the queue's namespace, or what your mapping made of it. */
  queueName: 'supasync.queue.name',
  /** Only on a failed poll: `_OTHER` (the OpenTelemetry fallback value; the event does not say why). */
  errorType: 'error.type',
} as const
