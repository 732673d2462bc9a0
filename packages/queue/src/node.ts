/**
 * The Node-only parts of the queue (`fileStorage`), kept out of the main entry so that bundling `@supasync/queue`
 * for a browser pulls in no Node built-ins.
 *
 * @packageDocumentation
 * @module @supasync/queue/node
 */
export { fileStorage } from './storage/fileStorage.js'
export type { FileStorageFs, FileStorageOptions } from './storage/fileStorage.js'
