/**
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @supasync/local
 */
export { startLocalStack, DEFAULT_JWT_SECRET } from './startLocalStack.js'
export { stackSummary, untilStopSignal } from './stackSummary.js'
export type { LocalStack, LocalStackOptions, LocalClientOptions } from './startLocalStack.js'
export type { LocalStackFaults } from './faults.js'
export { signJwt, verifyJwt, decodeJwt, JwtError } from './jwt.js'
export type { JwtClaims, JwtProblem } from './jwt.js'
export { RealtimeServer } from './realtime/RealtimeServer.js'
export type { RealtimeServerOptions, RealtimeFaults } from './realtime/RealtimeServer.js'
export type { RealtimeLimits } from './realtime/limits.js'
export { defaultLimits } from './realtime/limits.js'
