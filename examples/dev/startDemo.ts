import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startLocalStack, type LocalStack } from '@supasync/local'
import type { InlineConfig, Plugin, ViteDevServer } from 'vite'
import { nodeEnvDefine, sourceAliases } from './sourceAliases.js'
import { USERS, VENDORS, type DevConfig } from './users.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The example apps the launcher serves, by directory under examples/. */
export const APPS = {
  construction: { dir: 'construction-react', framework: 'react' },
  wedding: { dir: 'vue-wedding', framework: 'vue' },
} as const

export type AppName = keyof typeof APPS

export interface DemoOptions {
  /** Port of the stack's API (REST + Realtime). Default: a free one. */
  stackPort?: number
  /** Port of each app's dev server. Default: 5173 (construction) and 5174 (wedding), or the next free ones. */
  ports?: Partial<Record<AppName, number>>
  /** Which apps to serve. Default: every app whose directory exists. */
  apps?: AppName[]
  /** Diagnostic lines of the stack and Vite. Default: silent. */
  log?: (line: string) => void
}

export interface Demo {
  stack: LocalStack
  config: DevConfig
  /** Base URL of each served app. */
  urls: Partial<Record<AppName, string>>
  close(): Promise<void>
}

/** Puts the dev config into the page before any module runs. */
function devConfigPlugin(config: DevConfig): Plugin {
  return {
    name: 'supasync-dev-config',
    transformIndexHtml: () => [{ tag: 'script', children: `window.__SUPASYNC_DEV__ = ${JSON.stringify(config)}`, injectTo: 'head-prepend' }],
  }
}

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(() => true, () => false)
}

/**
 * The local stack with the demo schema and seed, and a Vite dev server per example app, which reads the
 * `@supasync/*` packages from their sources. Used by `npm start` and by the end-to-end tests.
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const sql = await Promise.all(
    ['packages/polling/sql/supasync-polling.sql', 'examples/demo-schema.sql', 'examples/demo-seed.sql'].map((file) => readFile(join(ROOT, file), 'utf8')),
  )
  const stack = await startLocalStack({ sql, port: options.stackPort, log: options.log })
  const servers: ViteDevServer[] = []
  try {
    const exp = Math.floor(Date.now() / 1000) + 86_400
    const tokens: Record<string, string> = {}
    for (const [name, id] of Object.entries(USERS)) tokens[name] = stack.signJwt({ sub: id, role: 'authenticated', exp })
    for (const [key, vendor] of Object.entries(VENDORS)) tokens[key] = stack.signJwt({ sub: vendor.userId, role: 'authenticated', exp })
    const config: DevConfig = { url: stack.url, anonKey: stack.anonKey, tokens }
    const { createServer } = await import('vite')
    const urls: Partial<Record<AppName, string>> = {}
    const wanted = options.apps ?? (Object.keys(APPS) as AppName[])
    const defaults: Record<AppName, number> = { construction: 5173, wedding: 5174 }
    for (const name of wanted) {
      const app = APPS[name]
      const root = join(ROOT, 'examples', app.dir)
      if (!(await exists(join(root, 'index.html')))) {
        if (options.apps) throw new Error(`examples/${app.dir} has no index.html`)
        continue
      }
      const plugin = app.framework === 'react' ? (await import('@vitejs/plugin-react')).default() : (await import('@vitejs/plugin-vue')).default()
      const viteConfig: InlineConfig = {
        root,
        configFile: false,
        logLevel: options.log ? 'info' : 'silent',
        customLogger: undefined,
        plugins: [plugin, devConfigPlugin(config)],
        resolve: { alias: sourceAliases },
        define: nodeEnvDefine('development'),
        server: { host: '127.0.0.1', port: options.ports?.[name] ?? defaults[name], strictPort: false },
        clearScreen: false,
      }
      const server = await createServer(viteConfig)
      await server.listen()
      servers.push(server)
      urls[name] = server.resolvedUrls?.local[0]?.replace(/\/$/, '') ?? `http://127.0.0.1:${server.config.server.port}`
    }
    let closed = false
    return {
      stack,
      config,
      urls,
      async close() {
        if (closed) return
        closed = true
        await Promise.allSettled(servers.map((server) => server.close()))
        await stack.stop()
      },
    }
  } catch (error) {
    await Promise.allSettled(servers.map((server) => server.close()))
    await stack.stop()
    throw error
  }
}
