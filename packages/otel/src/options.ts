import { metrics, type Attributes, type Meter, type MeterProvider } from '@opentelemetry/api'
import { SUPASYNC_METRICS } from './metricDefinitions.js'
import { SCOPE_NAME, SCOPE_VERSION } from './scope.js'

/** Whether an id-like value becomes an attribute: `false` (never), `true` (as it is), or your mapping of it. */
export type OptInAttribute = boolean | ((value: string) => string | undefined)

export interface InstrumentSupasyncOptions {
  /**
   * The meter to create the instruments on. Default: a meter named `@supasync/otel` (with this package's version)
   * from `meterProvider`. Give one of `meter` and `meterProvider`, not both.
   */
  meter?: Meter
  /** Where the default meter comes from. Default: the global provider (`metrics.getMeterProvider()` of `@opentelemetry/api`). */
  meterProvider?: MeterProvider
  /**
   * First part of every metric name (`<prefix>.poll.duration`). Default `'supasync'`. Letters, digits, `_`, `.`, `-`
   * and `/`, starting with a letter, at most 230 characters (the API's rule for instrument names: 255 characters in
   * all), without a trailing dot. Attribute keys keep their `supasync.` namespace.
   */
  prefix?: string
  /**
   * Unit of the duration histograms. Default `'s'` (seconds: the semantic conventions' unit for durations; values
   * keep millisecond precision as fractions). `'ms'` records the events' milliseconds as they are.
   */
  durationUnit?: 's' | 'ms'
  /**
   * Add the channel topic (`supasync.channel.topic`) to joins, closes and presence waits. Default `false`: topics often
   * hold ids (`room:<uuid>`), one series per room. `true` records them as they are; a function maps each topic to a
   * value of few distinct values (`(topic) => topic.split(':')[0]`), or `undefined` to leave it out.
   */
  topics?: OptInAttribute
  /**
   * Add the queue's namespace (`supasync.queue.name`) to the queue metrics. Default `false`: a namespace is often the
   * signed-in user's id (one outbox per user). `true` or a mapping as for `topics`.
   */
  queues?: OptInAttribute
  /**
   * Attributes added to every measurement, e.g. `{ 'supasync.instance': 'editor' }` to tell two instances of one
   * process apart. Default none. What describes the whole process (service name, version) belongs on the provider's
   * resource instead.
   */
  attributes?: Attributes
}

export interface ResolvedOptions {
  meter: Meter
  prefix: string
  durationUnit: 's' | 'ms'
  topic: (topic: string) => string | undefined
  queue: (namespace: string) => string | undefined
  attributes: Attributes
}

/** The instrument-name syntax of the metrics API spec (https://opentelemetry.io/docs/specs/otel/metrics/api/#instrument-name-syntax). */
const NAME = /^[A-Za-z][A-Za-z0-9_.\-/]*$/
/** Names hold at most 255 characters: the prefix, a dot and the longest name after it. */
const MAX_PREFIX = 255 - 1 - Math.max(...Object.values(SUPASYNC_METRICS).map((definition) => definition.name.length))

/** Validates the options and fills in the defaults; bad input throws a TypeError that says how to fix it. */
export function resolveOptions(options: InstrumentSupasyncOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(`instrumentSupasync(sync, options): options must be an object, got ${String(options)}`)
  const { meter, meterProvider, prefix = 'supasync', durationUnit = 's', topics = false, queues = false, attributes = {} } = options
  if (meter !== undefined && meterProvider !== undefined) {
    throw new TypeError('instrumentSupasync: pass either `meter` or `meterProvider`, not both (the meter already belongs to a provider).')
  }
  if (meter !== undefined && typeof meter?.createCounter !== 'function') throw new TypeError('instrumentSupasync: `meter` must be an OpenTelemetry Meter (meterProvider.getMeter(name)).')
  if (meterProvider !== undefined && typeof meterProvider?.getMeter !== 'function') throw new TypeError('instrumentSupasync: `meterProvider` must be an OpenTelemetry MeterProvider (one with getMeter(name, version)).')
  if (typeof prefix !== 'string' || !NAME.test(prefix) || prefix.endsWith('.') || prefix.length > MAX_PREFIX) {
    throw new TypeError(`instrumentSupasync: prefix ${JSON.stringify(prefix)} is not a valid start of an instrument name: use at most ${MAX_PREFIX} letters, digits, '_', '.', '-' or '/', starting with a letter and not ending with '.', e.g. 'supasync' or 'myapp.supasync'.`)
  }
  if (durationUnit !== 's' && durationUnit !== 'ms') throw new TypeError(`instrumentSupasync: durationUnit must be 's' or 'ms', got ${JSON.stringify(durationUnit)}.`)
  if (typeof attributes !== 'object' || attributes === null) throw new TypeError('instrumentSupasync: `attributes` must be an object of attribute values, e.g. { "supasync.instance": "editor" }.')
  return {
    meter: meter ?? (meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE_NAME, SCOPE_VERSION),
    prefix,
    durationUnit,
    topic: optIn('topics', topics),
    queue: optIn('queues', queues),
    attributes,
  }
}

function optIn(name: string, choice: OptInAttribute): (value: string) => string | undefined {
  if (choice === false) return () => undefined
  if (choice === true) return (value) => value
  if (typeof choice === 'function') return choice
  throw new TypeError(`instrumentSupasync: \`${name}\` must be true, false or a function mapping each value to an attribute value (or undefined), got ${JSON.stringify(choice)}.`)
}
