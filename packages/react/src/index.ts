/**
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @supasync/react
 */
export { SupasyncProvider, useSupasync } from './context.js'
export type { SupasyncProviderProps, SupasyncContextValue } from './context.js'
export { useConnectionStatus } from './useConnectionStatus.js'
export { useChannel } from './useChannel.js'
export type { UseChannelResult } from './useChannel.js'
export { useBroadcast } from './useBroadcast.js'
export { useChanges } from './useChanges.js'
export type { UseChangesResult } from './useChanges.js'
export { usePresence } from './usePresence.js'
export type { UsePresenceResult } from './usePresence.js'
export { useLiveTable } from './useLiveTable.js'
export type { UseLiveTableConfig, UseLiveTableResult } from './useLiveTable.js'
export { useLiveTableSuspense } from './useLiveTableSuspense.js'
export { useQueue, useQueueStatus } from './useQueue.js'
export type { UseQueueResult } from './useQueue.js'
