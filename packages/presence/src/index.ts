/**
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @supasync/presence
 */
export { createPresence } from './createPresence.js'
export { PresenceRoom } from './PresenceRoom.js'
export type { PresenceDiagnostics } from './PresenceEngine.js'
export type { PresenceOptions, NoInferState } from './options.js'
export type { PresenceMember, PresenceState, PresenceStatus, ConnectionMeta } from './types.js'
export type { WireMeta } from './meta.js'
