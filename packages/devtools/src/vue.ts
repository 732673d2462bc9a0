/**
 * `<SupasyncDevtools :sync="sync" />` for Vue apps, in development only: when `process.env.NODE_ENV` is
 * `'production'` it is a component that renders nothing, and a bundler that replaces `NODE_ENV` (Vite, webpack,
 * esbuild with `define`) drops the panel from the build. `@supasync/devtools/vue/production` shows it anyway.
 *
 * @module @supasync/devtools/vue
 */
import { defineComponent } from 'vue'
import { VueDevtools } from './wrappers/VueDevtools.js'

export { supasyncDevtoolsProps } from './wrappers/VueDevtools.js'

// No props declared (they would keep the props object, and the positions it validates against, in production builds):
// whatever it is given is taken as attributes, and with nothing to fall through to they are dropped without a warning.
const NoDevtools = /* @__PURE__ */ defineComponent({ name: 'SupasyncDevtools', inheritAttrs: false, setup: () => () => null })

/**
 * The supasync devtools panel (see `mountDevtools`) as a Vue component; nothing in production.
 *
 * ```ts
 * h(SupasyncDevtools, { sync, position: 'bottom-left' })
 * ```
 */
// Decided once, at module level, as a constant condition: a bundler folds it and tree-shakes the branch not taken,
// with its dynamic import of the panel (a check inside setup() would keep both).
export const SupasyncDevtools: typeof VueDevtools = process.env.NODE_ENV === 'production' ? (NoDevtools as unknown as typeof VueDevtools) : VueDevtools
