/**
 * `<SupasyncDevtools sync={sync} />` for React apps, in development only: when `process.env.NODE_ENV` is
 * `'production'` it is a component that renders nothing, and a bundler that replaces `NODE_ENV` (Vite, webpack,
 * esbuild with `define`) drops the panel from the build. `@supasync/devtools/react/production` shows it anyway.
 *
 * @module @supasync/devtools/react
 */
import type { ReactElement } from 'react'
import { ReactDevtools, type SupasyncDevtoolsProps } from './wrappers/ReactDevtools.js'

export type { SupasyncDevtoolsProps } from './wrappers/ReactDevtools.js'
export type { DevtoolsSourceProps } from './wrappers/pickSource.js'

function NoDevtools(_props: SupasyncDevtoolsProps): ReactElement | null {
  return null
}

/**
 * The supasync devtools panel (see `mountDevtools`) as a React component; nothing in production.
 *
 * ```tsx
 * <SupasyncDevtools sync={sync} position="bottom-left" />
 * ```
 */
// Decided once, at module level, as a constant condition: a bundler folds it and tree-shakes the branch not taken,
// with its dynamic import of the panel (a check inside the component would keep both).
export const SupasyncDevtools: (props: SupasyncDevtoolsProps) => ReactElement | null = process.env.NODE_ENV === 'production' ? NoDevtools : ReactDevtools
