import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/**
 * Vite aliases that resolve the `@supasync/*` packages to their sources, so the example apps run against the packages
 * as they are in the repository, with no build step while editing them. Used by the launcher and by each app's
 * vite.config.ts.
 */
export const sourceAliases = [
  { find: /^@supasync\/queue\/node$/, replacement: join(ROOT, 'packages/queue/src/node.ts') },
  { find: /^@supasync\/([a-z-]+)$/, replacement: join(ROOT, 'packages/$1/src/index.ts') },
]
