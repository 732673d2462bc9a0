/**
 * The OpenTelemetry SDK as an app runs it, with nothing exported anywhere: a MeterProvider whose periodic reader
 * writes into an InMemoryMetricExporter. `collect()` forces one collection and returns its data points by metric name.
 */
import type { Attributes } from '@opentelemetry/api'
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics'

export interface Collected {
  /** Every metric of the collection, by name. */
  metrics: Map<string, MetricData>
  /** The sum of a counter, or the last value of a gauge, for the data point with exactly these attributes (0 if none). */
  value(name: string, attributes?: Attributes): number
  /** Count and sum of a histogram's data point with exactly these attributes ({0, 0} if none). */
  histogram(name: string, attributes?: Attributes): { count: number; sum: number }
  /** The attribute sets recorded under a metric. */
  attributeSets(name: string): Attributes[]
}

const sameAttributes = (a: Attributes, b: Attributes) => {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key])
}

export function metricsHarness() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  // One hour: collections happen only when the test forces one.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const meterProvider = new MeterProvider({ readers: [reader] })

  async function collect(): Promise<Collected> {
    await reader.forceFlush()
    const metrics = new Map<string, MetricData>()
    for (const scope of exporter.getMetrics().at(-1)?.scopeMetrics ?? []) for (const metric of scope.metrics) metrics.set(metric.descriptor.name, metric)
    const point = (name: string, attributes: Attributes) => metrics.get(name)?.dataPoints.find((candidate) => sameAttributes(candidate.attributes, attributes))
    return {
      metrics,
      value(name, attributes = {}) {
        const found = point(name, attributes)
        if (found && metrics.get(name)!.dataPointType === DataPointType.HISTOGRAM) throw new Error(`${name} is a histogram: use histogram()`)
        return (found?.value as number | undefined) ?? 0
      },
      histogram(name, attributes = {}) {
        const found = point(name, attributes)
        if (!found) return { count: 0, sum: 0 }
        const value = found.value as Histogram
        return { count: value.count, sum: value.sum ?? 0 }
      },
      attributeSets(name) {
        return metrics.get(name)?.dataPoints.map((candidate) => candidate.attributes) ?? []
      },
    }
  }

  return { meterProvider, exporter, collect, shutdown: () => meterProvider.shutdown() }
}
