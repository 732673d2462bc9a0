/**
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @supasync/vue
 */
export { SupasyncPlugin, supasyncKey } from './SupasyncPlugin.js'
export type { SupasyncContext, SupasyncPluginOptions } from './SupasyncPlugin.js'
export { useSupasync } from './useSupasync.js'
export type { SupasyncInstance } from './useSupasync.js'
export { useConnectionStatus, SERVER_STATUS } from './useConnectionStatus.js'
export { useChannel } from './useChannel.js'
export type { UseChannelReturn } from './useChannel.js'
export { useBroadcast } from './useBroadcast.js'
export type { UseBroadcastReturn } from './useBroadcast.js'
export { useChanges } from './useChanges.js'
export type { UseChangesReturn, RowChange } from './useChanges.js'
export { usePresence } from './usePresence.js'
export type { UsePresenceReturn } from './usePresence.js'
export { useLiveTable, INITIAL_FRESHNESS } from './useLiveTable.js'
export type { UseLiveTableSettings, UseLiveTableReturn } from './useLiveTable.js'
export { useQueue } from './useQueue.js'
export type { UseQueueReturn } from './useQueue.js'
export { useQueueStatus, SERVER_QUEUE_STATUS } from './useQueueStatus.js'
