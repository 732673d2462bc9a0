/**
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @supasync/queue
 */
export { createQueue } from './createQueue.js'
export { Queue } from './Queue.js'
export type { QueueStatus, DeadLetter, QueuedWrite, FlushResult, QueueDiagnostics } from './queueTypes.js'
export type { QueueOptions, QueueRetryOptions } from './options.js'
export type { QueueOperation, InsertOperation, UpsertOperation, UpdateOperation, DeleteOperation, RpcOperation, Row, Match } from './operations.js'
export { QueueError, QueueFullError } from './errors.js'
export type { QueueErrorCode, QueueFailure } from './errors.js'
export { RequestFailure, isAuthExpired, isRetryable, parseRetryAfter } from './requestFailure.js'
export { supabaseExecutor } from './supabaseExecutor.js'
export type { QueueExecutor, QueueRequest } from './supabaseExecutor.js'
export type { QueueStorage } from './storage/QueueStorage.js'
export { browserCrossTab } from './CrossTab.js'
export type { CrossTabPorts, LockManagerLike, ChannelLike } from './CrossTab.js'
export { memoryStorage } from './storage/memoryStorage.js'
export { indexedDbStorage } from './storage/indexedDbStorage.js'
export type { IndexedDbStorageOptions } from './storage/indexedDbStorage.js'
export type { EntryState } from './entry.js'
