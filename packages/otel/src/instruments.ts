import type { Counter, Gauge, Histogram, Meter } from '@opentelemetry/api'
import { SUPASYNC_METRICS, type MetricDefinition, type MetricKey } from './metricDefinitions.js'

type InstrumentOf<Key extends MetricKey> = (typeof SUPASYNC_METRICS)[Key]['instrument'] extends 'counter'
  ? Counter
  : (typeof SUPASYNC_METRICS)[Key]['instrument'] extends 'histogram'
    ? Histogram
    : Gauge

/** One instrument per definition, named `<prefix>.<name>`. */
export type Instruments = { [Key in MetricKey]: InstrumentOf<Key> }

/**
 * Creates the instruments on `meter`. Creating them again (a second instance, or after an unsubscribe) is harmless:
 * the SDK hands identical definitions of one meter the same storage, so their measurements add up.
 */
export function createInstruments(meter: Meter, prefix: string, durationUnit: 's' | 'ms'): Instruments {
  const instruments: Partial<Record<MetricKey, Counter | Histogram | Gauge>> = {}
  for (const key of Object.keys(SUPASYNC_METRICS) as MetricKey[]) {
    const definition: MetricDefinition = SUPASYNC_METRICS[key]
    const duration = definition.unit === 'duration'
    const unit = duration ? durationUnit : definition.unit
    const options = { unit, description: definition.description }
    const name = `${prefix}.${definition.name}`
    if (definition.instrument === 'counter') instruments[key] = meter.createCounter(name, options)
    else if (definition.instrument === 'gauge') instruments[key] = meter.createGauge(name, options)
    else {
      const scale = duration && durationUnit === 's' ? 1000 : 1
      instruments[key] = meter.createHistogram(name, { ...options, advice: { explicitBucketBoundaries: (definition.buckets ?? []).map((bound) => bound / scale) } })
    }
  }
  return instruments as Instruments
}
