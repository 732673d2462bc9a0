import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/**
 * `process.env.NODE_ENV` for the sources the aliases bring in: Vite replaces it in dependencies it pre-bundles, not in
 * source files, and the devtools wrappers decide with it whether to render (nothing in production).
 */
export function nodeEnvDefine(mode: 'development' | 'production'): Record<string, string> {
  return { 'process.env.NODE_ENV': JSON.stringify(mode) }
}

/**
 * Vite aliases that resolve the `@supasync/*` packages to their sources, so the example apps run against the packages
 * as they are in the repository, with no build step while editing them. Used by the launcher and by each app's
 * vite.config.ts.
 */
export const sourceAliases = [
  { find: /^@supasync\/queue\/node$/, replacement: join(ROOT, 'packages/queue/src/node.ts') },
  { find: /^@supasync\/devtools\/(react|vue)$/, replacement: join(ROOT, 'packages/devtools/src/$1.ts') },
  { find: /^@supasync\/([a-z-]+)$/, replacement: join(ROOT, 'packages/$1/src/index.ts') },
]
