/**
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @supasync/otel
 */
export { instrumentSupasync } from './instrumentSupasync.js'
export type { InstrumentedSync } from './instrumentSupasync.js'
export type { InstrumentSupasyncOptions, OptInAttribute } from './options.js'
export { SUPASYNC_ATTRIBUTES } from './attributes.js'
export { SUPASYNC_METRICS } from './metricDefinitions.js'
export type { MetricDefinition, MetricKey } from './metricDefinitions.js'
export { closeReasonKind, CLOSE_REASON_KINDS } from './closeReason.js'
export type { CloseReasonKind } from './closeReason.js'
export { SCOPE_NAME, SCOPE_VERSION } from './scope.js'
