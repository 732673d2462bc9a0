/**
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @supasync/devtools
 */
export { mountDevtools } from './mountDevtools.js'
export type { UnmountDevtools } from './mountDevtools.js'
export { DEVTOOLS_POSITIONS, DEVTOOLS_TABS } from './options.js'
export type { DevtoolsPosition, DevtoolsTab, MountDevtoolsOptions } from './options.js'
export { defaultDevtoolsPorts, FALLBACK_FRAME_MS } from './ports.js'
export type { DevtoolsPorts, FrameScope } from './ports.js'
