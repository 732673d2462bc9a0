/**
 * `@supasync/queue/node`: the Node-only parts of the queue, kept out of the main entry so that bundling
 * `@supasync/queue` for a browser pulls in no Node built-ins.
 */
export { fileStorage } from './storage/fileStorage.js'
export type { FileStorageFs, FileStorageOptions } from './storage/fileStorage.js'
