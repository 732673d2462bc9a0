/**
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @supasync/core
 */
export { createSupasync } from './createSupasync.js'
export { Supasync } from './Supasync.js'
export type { SupasyncDiagnostics } from './Supasync.js'
export type { SupasyncOptions, RealtimeHost } from './options.js'
export { RoomHandle } from './RoomHandle.js'
export type { RoomOptions, RoomStatus, BroadcastMessage, PresenceEvent } from './Room.js'
export type { ChangesLease, ChangesOptions, LeaseStatus } from './ChangesPool.js'
export type { ChangeSpec, NormalizedSpec } from './changeSpec.js'
export { validateFilter } from './changeSpec.js'
export type { ChangePayload } from './ChangeHost.js'
export type { ConnectionStatus, ConnectionState } from './ConnectionMonitor.js'
export { deriveState } from './ConnectionMonitor.js'
export type { MonitorInputs } from './ConnectionMonitor.js'
export type { SupasyncMetrics, HistogramSnapshot } from './metrics.js'
export { SupasyncError } from './errors.js'
export type { SupasyncErrorCode } from './errors.js'
export { stableKey } from './stableKey.js'
export type { SharedLease } from './SharedValues.js'
export { checkJsonSafe } from './checkJsonSafe.js'
export type { JsonSafeLimits, JsonSafeProblem } from './checkJsonSafe.js'
export { createStore, shallowEqual } from './store.js'
export type { ReadableStore, WritableStore } from './store.js'
export { defaultPorts, manualPort, systemTimers } from './ports.js'
export { safeClock, toWallTime, type ClockSources } from './safeClock.js'
export { Scheduler } from './Scheduler.js'
export type { SupasyncPorts, TimerPort, TimerHandle, NetworkPort, VisibilityPort } from './ports.js'
export { backoffDelay, CircuitBreaker } from './backoff.js'
export type { BackoffOptions } from './backoff.js'
