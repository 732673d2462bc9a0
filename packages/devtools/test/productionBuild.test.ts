/**
 * A production build of an app that renders `<SupasyncDevtools />` carries none of the panel (issue #17: "proof that
 * the React/Vue wrappers add nothing to a production build").
 *
 * The package is built from its sources with its own tsup config (so the test never reads a stale dist/), then two
 * tiny consumers, one React and one Vue, are bundled the way apps are: by esbuild with `define` NODE_ENV (one file,
 * and with code splitting), and by `vite build` in a child process with NODE_ENV=production. React and Vue stay
 * external, so the output is the consumers' code plus what the package adds (with @supasync/core, bundled from its
 * sources as an app would, tree-shaken by its `sideEffects: false`). The panel is
 * recognised by strings only it holds (its root attribute, its stylesheet, its tab labels); each check first shows
 * that a development build of the same consumer does hold them, so the search is known to work.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build as esbuild, type Plugin } from 'esbuild'
import { build as tsup, type Options } from 'tsup'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import devtoolsConfig from '../tsup.config.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const PACKAGE = join(ROOT, 'packages', 'devtools')
const WORK = join(ROOT, '.tmp', `devtools-build-${process.pid}`)
const DIST = join(WORK, 'dist')

/** Strings only the panel holds: its root attribute, a rule of its stylesheet, a tab label, a redaction. */
const PANEL_MARKERS = ['data-supasync-devtools-panel', '--ssd-bg', 'Live tables', '[token hidden]']

/** The frameworks stay out of the bundles (they would be most of them); @supasync/core is bundled from its sources. */
const EXTERNAL = ['react', 'react-dom', 'react-dom/client', 'react/jsx-runtime', 'vue', '@supabase/supabase-js']
const CORE = join(ROOT, 'packages', 'core', 'src', 'index.ts')
/** A string of core's code: the panel needs core (SupasyncError); a production build must not pull it in for the wrapper. */
const CORE_MARKER = 'SupasyncError'

const CONSUMERS = {
  react: [
    "import { createElement } from 'react'",
    "import { createRoot } from 'react-dom/client'",
    "import { SupasyncDevtools } from '@supasync/devtools/react'",
    "createRoot(document.getElementById('app')).render(createElement(SupasyncDevtools, { sync: globalThis.sync, initialIsOpen: true }))",
  ].join('\n'),
  vue: [
    "import { createApp, h } from 'vue'",
    "import { SupasyncDevtools } from '@supasync/devtools/vue'",
    "createApp({ render: () => h(SupasyncDevtools, { sync: globalThis.sync, initialIsOpen: true }) }).mount('#app')",
  ].join('\n'),
} as const

type Framework = keyof typeof CONSUMERS

/** Resolves `@supasync/devtools[/subpath]` to the fresh build, as the package's exports map does. */
const devtoolsFromBuild: Plugin = {
  name: 'devtools-from-build',
  setup(build) {
    build.onResolve({ filter: /^@supasync\/core$/ }, () => ({ path: CORE }))
    build.onResolve({ filter: /^@supasync\/devtools(\/.*)?$/ }, (args) => {
      const subpath = args.path.slice('@supasync/devtools'.length).replace(/^\//, '').replace('/', '-')
      return { path: join(DIST, `${subpath || 'index'}.js`) }
    })
  },
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`))
      else resolve(`${stdout}${stderr}`)
    })
  })
}

/** Every file under `dir` as path → text. */
async function filesUnder(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) files.set(join(entry.parentPath, entry.name), await readFile(join(entry.parentPath, entry.name), 'utf8'))
  }
  return files
}

/** The panel markers found in `text`. */
const markersIn = (text: string) => PANEL_MARKERS.filter((marker) => text.includes(marker))

/** The files an entry loads, following static and dynamic relative imports (what a browser would fetch). */
function reachable(files: Map<string, string>, entry: string): string[] {
  const seen = new Set<string>()
  const pending = [entry]
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue
    seen.add(file)
    for (const match of files.get(file)!.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) pending.push(join(file, '..', match[1]!))
  }
  return [...seen]
}

async function bundle(framework: Framework, mode: 'production' | 'development', splitting: boolean): Promise<Map<string, string>> {
  const entry = join(WORK, `consumer-${framework}.js`)
  const outdir = join(WORK, 'esbuild', `${framework}-${mode}-${splitting ? 'split' : 'single'}`)
  await esbuild({
    entryPoints: { main: entry },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    splitting,
    outdir,
    external: EXTERNAL,
    define: { 'process.env.NODE_ENV': JSON.stringify(mode) },
    plugins: [devtoolsFromBuild],
    logLevel: 'silent',
  })
  return filesUnder(outdir)
}

describe('a production build of an app with <SupasyncDevtools /> carries none of the panel', () => {
  beforeAll(async () => {
    await rm(WORK, { recursive: true, force: true })
    await mkdir(WORK, { recursive: true })
    const options = devtoolsConfig as Options
    const entry = Object.fromEntries(Object.entries(options.entry as Record<string, string>).map(([name, file]) => [name, join(PACKAGE, file)]))
    await tsup({ ...options, entry, outDir: DIST, dts: false, config: false, silent: true, tsconfig: join(PACKAGE, 'tsconfig.json') })
    for (const [framework, code] of Object.entries(CONSUMERS)) await writeFile(join(WORK, `consumer-${framework}.js`), code)
  }, 120_000)

  afterAll(async () => {
    await rm(WORK, { recursive: true, force: true })
  })

  it('the fresh build has the panel in a chunk of its own, which the wrappers only import() lazily', async () => {
    const files = await filesUnder(DIST)
    const holders = [...files].filter(([path, text]) => path.endsWith('.js') && markersIn(text).length === PANEL_MARKERS.length).map(([path]) => path)
    expect(holders).toHaveLength(1)
    const panelChunk = holders[0]!.slice(DIST.length + 1)
    for (const wrapper of ['react.js', 'vue.js', 'react-production.js', 'vue-production.js']) {
      const staticImports = reachable(new Map([...files].map(([path, text]) => [path, text.replace(/import\(\s*["'][^"']+["']\s*\)/g, '')])), join(DIST, wrapper))
      expect(staticImports.map((path) => path.slice(DIST.length + 1)), wrapper).not.toContain(panelChunk)
    }
  })

  for (const framework of ['react', 'vue'] as const) {
    it(`esbuild, one file (${framework}): the development bundle holds the panel, the production bundle none of it`, async () => {
      const development = [...(await bundle(framework, 'development', false)).values()].join('\n')
      expect(markersIn(development)).toEqual(PANEL_MARKERS)
      expect(development).toContain(CORE_MARKER)
      const production = await bundle(framework, 'production', false)
      expect(production.size).toBe(1)
      const code = [...production.values()][0]!
      expect(markersIn(code)).toEqual([])
      // Nothing left of the wrapper's live branch: no lazy import, none of core (the panel's only dependency).
      expect(code).not.toMatch(/import\(/)
      expect(code).not.toContain(CORE_MARKER)
    })

    it(`esbuild with code splitting (${framework}): the files the production entry loads hold none of the panel`, async () => {
      const files = await bundle(framework, 'production', true)
      const entry = [...files.keys()].find((path) => path.endsWith('main.js'))!
      const loaded = reachable(files, entry)
      expect(loaded.flatMap((path) => markersIn(files.get(path)!))).toEqual([])
      expect(loaded.map((path) => files.get(path)!).join('\n')).not.toContain(CORE_MARKER)
      // (esbuild still writes the panel's chunk next to them, unreferenced: it splits dynamic imports before it
      // tree-shakes. No file of the production entry names it, so a browser never fetches it.)
      const development = await bundle(framework, 'development', true)
      const developmentEntry = [...development.keys()].find((path) => path.endsWith('main.js'))!
      expect(reachable(development, developmentEntry).flatMap((path) => markersIn(development.get(path)!))).toEqual(PANEL_MARKERS)
    })
  }

  it('vite build with NODE_ENV=production: no output file holds the panel; in development mode one does', async () => {
    const app = join(WORK, 'vite-app')
    await mkdir(app, { recursive: true })
    for (const framework of Object.keys(CONSUMERS) as Framework[]) {
      await writeFile(join(app, `${framework}.html`), `<!doctype html><div id="app"></div><script type="module" src="./${framework}.js"></script>\n`)
      await writeFile(join(app, `${framework}.js`), CONSUMERS[framework])
    }
    const aliases = [
      ...['react', 'react-production', 'vue', 'vue-production'].map((name) => ({ find: `@supasync/devtools/${name.replace('-', '/')}`, replacement: join(DIST, `${name}.js`) })),
      { find: '@supasync/core', replacement: CORE },
    ]
    await writeFile(
      join(app, 'vite.config.mjs'),
      `export default ${JSON.stringify({
        logLevel: 'error',
        resolve: { alias: aliases },
        build: { outDir: 'out', emptyOutDir: true, rolldownOptions: { input: { react: join(app, 'react.html'), vue: join(app, 'vue.html') }, external: EXTERNAL } },
      })}\n`,
    )
    const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js')
    await run(process.execPath, [vite, 'build'], { NODE_ENV: 'production' }, app)
    const production = await filesUnder(join(app, 'out'))
    const scripts = [...production].filter(([path]) => path.endsWith('.js'))
    expect(scripts.length).toBeGreaterThan(0)
    expect(scripts.flatMap(([path, text]) => markersIn(text).map((marker) => `${path}: ${marker}`))).toEqual([])
    expect(scripts.map(([, text]) => text).join('\n')).not.toContain(CORE_MARKER)

    await run(process.execPath, [vite, 'build', '--mode', 'development'], { NODE_ENV: 'development' }, app)
    const development = [...(await filesUnder(join(app, 'out'))).values()].join('\n')
    expect(markersIn(development)).toEqual(PANEL_MARKERS)
    expect(development).toContain(CORE_MARKER)
  }, 120_000)

  it('CommonJS: the wrappers hold no panel and require() it lazily from panel.cjs, which has what they call', async () => {
    const files = await filesUnder(DIST)
    for (const wrapper of ['react.cjs', 'vue.cjs', 'react-production.cjs', 'vue-production.cjs']) {
      const code = files.get(join(DIST, wrapper))!
      expect(markersIn(code), wrapper).toEqual([])
      expect(code, wrapper).toMatch(/Promise\.resolve\(\)\.then\(\(\) => __toESM\(require_panel\(\)/)
      expect(code, wrapper).toContain('require("./panel.cjs")')
    }
    expect(markersIn(files.get(join(DIST, 'panel.cjs'))!)).toEqual(PANEL_MARKERS)
    const panel = createRequire(join(DIST, 'panel.cjs'))('./panel.cjs') as Record<string, unknown>
    expect([typeof panel.mountDevtools, typeof panel.pickSource]).toEqual(['function', 'function'])
  })

  it('the test reads the package it builds: the entry points it bundles exist in the build', () => {
    for (const name of ['index', 'react', 'react-production', 'vue', 'vue-production']) expect(existsSync(join(DIST, `${name}.js`)), name).toBe(true)
  })
})
