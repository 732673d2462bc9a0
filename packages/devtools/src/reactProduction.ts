/**
 * `<SupasyncDevtools />` for React that shows the panel whatever `NODE_ENV` says: import it on purpose, e.g. behind
 * a support flag in a production app. The panel still loads lazily, when the component first mounts.
 *
 * @module @supasync/devtools/react/production
 */
export { ReactDevtools as SupasyncDevtools } from './wrappers/ReactDevtools.js'
export type { SupasyncDevtoolsProps } from './wrappers/ReactDevtools.js'
export type { DevtoolsSourceProps } from './wrappers/pickSource.js'
