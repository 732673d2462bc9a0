/**
 * `<SupasyncDevtools />` for Vue that shows the panel whatever `NODE_ENV` says: import it on purpose, e.g. behind a
 * support flag in a production app. The panel still loads lazily, when the component first mounts.
 *
 * @module @supasync/devtools/vue/production
 */
export { VueDevtools as SupasyncDevtools, supasyncDevtoolsProps } from './wrappers/VueDevtools.js'
