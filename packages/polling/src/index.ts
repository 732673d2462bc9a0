/**
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @supasync/polling
 */
export { createLiveTable } from './createLiveTable.js'
export { LiveTable } from './LiveTable.js'
export { acquireLiveTable, peekLiveTable, preloadLiveTable, liveTableKey } from './acquireLiveTable.js'
export type { LiveTableLease } from './acquireLiveTable.js'
export { sameFreshness, INITIAL_FRESHNESS } from './sameFreshness.js'
export type { Freshness, LiveTableStats } from './LiveTable.js'
export type { LiveTableOptions, SupabaseLike } from './options.js'
export type { LiveChange } from './RowView.js'
export type { SweepCounts } from './KeySweep.js'
export type { LiveFilter, FilterValue } from './rowFilter.js'
export { deriveMode } from './deriveMode.js'
export type { LiveMode, ModeInputs } from './deriveMode.js'
export { PollingError } from './errors.js'
export type { PollingErrorCode } from './errors.js'
export type { PostgrestHost, PostgrestQuery, PostgrestResult } from './PostgrestHost.js'
export type { Row } from './RestReader.js'
export { parseVersion, formatMicros } from './versions.js'
