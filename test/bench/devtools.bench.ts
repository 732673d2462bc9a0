// Sizes of @supasync/devtools (issue #17: "min+gz size of @supasync/devtools and proof that the React/Vue wrappers
// add nothing to a production build"). Measured on the built package (packages/devtools/dist, `npm run build`), as
// a bundler ships it: esbuild, minified, gzip level 9 (node:zlib).
//
// 1. The panel: `mountDevtools` and everything it draws with (dist/index.js), @supasync/core external.
// 2. What each wrapper puts in an app's first bundle in development: the wrapper without the lazily loaded panel.
// 3. What each wrapper adds to a production build (NODE_ENV defined 'production'): an app rendering
//    <SupasyncDevtools sync={…} /> against the same app with a local component that renders nothing, React / Vue
//    external, @supasync/core bundled from its sources. The production-build test (packages/devtools/test/
//    productionBuild.test.ts) proves the content side: none of the panel, none of core.
//
// Run alone: `npx tsx test/bench/devtools.bench.ts` (prints the figures as JSON).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build, type Plugin } from 'esbuild'
import type { Figure } from './stats.js'

const SUITE = 'devtools'
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DIST = join(ROOT, 'packages', 'devtools', 'dist')
const CORE = join(ROOT, 'packages', 'core', 'src', 'index.ts')

interface Size {
  minified: number
  gzip: number
}

function sizeOf(code: Uint8Array): Size {
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length }
}

/** `@supasync/devtools[/subpath]` → the built file; `@supasync/core` → its sources; the lazy panel optionally left out. */
function resolver(options: { lazyPanelExternal: boolean }): Plugin {
  return {
    name: 'devtools-bench-resolver',
    setup(build) {
      build.onResolve({ filter: /^@supasync\/core$/ }, () => ({ path: CORE }))
      build.onResolve({ filter: /^@supasync\/devtools(\/.*)?$/ }, (args) => ({ path: join(DIST, `${args.path.slice('@supasync/devtools/'.length).replace('/', '-') || 'index'}.js`) }))
      if (options.lazyPanelExternal) build.onResolve({ filter: /\/panel\.js$/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined))
    },
  }
}

async function bundle(contents: string, options: { mode: 'production' | 'development'; coreExternal?: boolean; lazyPanelExternal?: boolean }): Promise<Size> {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    external: ['react', 'react-dom', 'react-dom/client', 'vue', '@supabase/*', ...(options.coreExternal ? ['@supasync/core'] : [])],
    define: { 'process.env.NODE_ENV': JSON.stringify(options.mode) },
    plugins: [resolver({ lazyPanelExternal: options.lazyPanelExternal ?? false })],
  })
  return sizeOf(result.outputFiles[0]!.contents)
}

const APPS = {
  react: (component: string) =>
    `import { createElement } from 'react'\nimport { createRoot } from 'react-dom/client'\n${component}\ncreateRoot(document.getElementById('app')).render(createElement(SupasyncDevtools, { sync: globalThis.sync }))`,
  vue: (component: string) => `import { createApp, h } from 'vue'\n${component}\ncreateApp({ render: () => h(SupasyncDevtools, { sync: globalThis.sync }) }).mount('#app')`,
}
const WRAPPER = { react: "import { SupasyncDevtools } from '@supasync/devtools/react'", vue: "import { SupasyncDevtools } from '@supasync/devtools/vue'" }
const NOTHING = { react: 'const SupasyncDevtools = () => null', vue: "import { defineComponent } from 'vue'\nconst SupasyncDevtools = defineComponent({ setup: () => () => null })" }

export async function benchDevtools(): Promise<Figure[]> {
  if (!existsSync(join(DIST, 'index.js'))) throw new Error(`devtools bench: ${DIST} is missing; run npm run build first`)
  const panel = await bundle("export { mountDevtools } from '@supasync/devtools'", { mode: 'production', coreExternal: true })
  const figures: Figure[] = [
    { suite: SUITE, name: '@supasync/devtools panel (mountDevtools) min+gz, @supasync/core external', value: panel.gzip, unit: 'B', details: { minified: panel.minified } },
  ]
  for (const framework of ['react', 'vue'] as const) {
    const eager = await bundle(`export * from '@supasync/devtools/${framework}'`, { mode: 'development', coreExternal: true, lazyPanelExternal: true })
    figures.push({
      suite: SUITE,
      name: `@supasync/devtools/${framework} in a development build, without the lazily loaded panel: min+gz`,
      value: eager.gzip,
      unit: 'B',
      details: { minified: eager.minified },
    })
    const withWrapper = await bundle(APPS[framework](WRAPPER[framework]), { mode: 'production' })
    const without = await bundle(APPS[framework](NOTHING[framework]), { mode: 'production' })
    figures.push({
      suite: SUITE,
      name: `@supasync/devtools/${framework} added to a production build (app with <SupasyncDevtools /> − app with a component rendering nothing), min+gz`,
      value: withWrapper.gzip - without.gzip,
      unit: 'B',
      details: { withWrapper, without },
    })
  }
  return figures
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchDevtools().then(
    (figures) => console.log(JSON.stringify(figures, null, 2)),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    },
  )
}
