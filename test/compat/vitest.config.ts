import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import base from '../../vitest.config.js'

// The compatibility run (scripts/compat.sh): the core, presence, queue and polling suites, and the local stack's
// supabase-js scenarios, with the @supabase/supabase-js installed in .compat/ (the newest 2.x) instead of the
// workspace's pinned one. Only supasync's
// own sources and tests import supabase-js, and vite applies the alias to them; supabase-js's sub-packages
// (realtime-js, postgrest-js, …) then resolve beside it, inside .compat/node_modules.
const compatDir = fileURLToPath(new URL('../../.compat/', import.meta.url))
const baseAlias = base.resolve?.alias
if (!Array.isArray(baseAlias)) throw new Error('vitest.config.ts: resolve.alias is expected to be an array')

export default defineConfig({
  ...base,
  resolve: {
    ...base.resolve,
    alias: [...baseAlias, { find: /^@supabase\/supabase-js$/, replacement: `${compatDir}node_modules/@supabase/supabase-js` }],
  },
  test: {
    ...base.test,
    // *.compat.ts: checks that only make sense in this run (which supabase-js and Node the suites got).
    include: [
      'packages/{core,presence,queue,polling}/test/**/*.test.ts',
      // The local stack's Realtime scenarios driven by supabase-js: private channels, database broadcasts, select.
      'packages/local/test/{privateChannels,databaseBroadcast,selectColumns,supabaseJs}.test.ts',
      'test/compat/**/*.compat.ts',
    ],
  },
})
