import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.config'

// p-retry is ESM-only: it is bundled (with is-network-error) so that `require('@supasync/queue')` works where
// require(esm) is off (Jest, `node --no-experimental-require-module`). Its licence is in this package's LICENSE.
// `node` is the Node-only entry (`@supasync/queue/node`: fileStorage), so the main entry bundles for browsers.
export default defineConfig(
  packageConfig({
    entry: { index: 'src/index.ts', node: 'src/node.ts' },
    external: ['@supabase/supabase-js', '@supasync/core', 'idb-keyval'],
    noExternal: ['p-retry', 'is-network-error'],
  }),
)
