import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.config'

// One build for every entry, so the panel is one chunk that the entry point and both wrappers share: the wrappers
// reach it only through a dynamic import, which a production build drops with the NODE_ENV branch that holds it.
// 'use client' heads every file (the wrappers are client components; the panel is browser-only anyway); rollup's
// tree-shaking pass (treeshake: true) would strip the directive, esbuild's own tree-shaking keeps it.
export default defineConfig(
  packageConfig({
    entry: {
      index: 'src/index.ts',
      // What the wrappers load lazily (the panel and their props check); internal, not in the exports map.
      panel: 'src/lazyPanel.ts',
      react: 'src/react.ts',
      'react-production': 'src/reactProduction.ts',
      vue: 'src/vue.ts',
      'vue-production': 'src/vueProduction.ts',
    },
    external: ['@supasync/core', 'react', 'vue'],
    banner: { js: "'use client'" },
    treeshake: false,
    esbuildPlugins: [
      {
        // CommonJS has no chunks: esbuild would inline the panel into each wrapper, and a CJS consumer would load it
        // with the wrapper. Instead the wrappers' lazy import becomes a lazy require() of the panel's own entry (a
        // require, not an import(), so that CJS test runners without ESM support, such as Jest, load it).
        name: 'lazy-panel-in-cjs',
        setup(build) {
          if (build.initialOptions.format !== 'cjs') return
          build.onResolve({ filter: /\/lazyPanel\.js$/ }, (args) => (args.kind === 'dynamic-import' ? { path: 'panel', namespace: 'lazy-panel' } : undefined))
          build.onLoad({ filter: /.*/, namespace: 'lazy-panel' }, () => ({ contents: "module.exports = require('./panel.cjs')", loader: 'js' }))
          build.onResolve({ filter: /^\.\/panel\.cjs$/, namespace: 'lazy-panel' }, () => ({ path: './panel.cjs', external: true }))
        },
      },
    ],
  }),
)
