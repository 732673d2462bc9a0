import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { createFaults, type LocalStackFaults } from './faults.js'
import { Gateway, type RestFaults } from './gateway.js'
import { signJwt, type JwtClaims } from './jwt.js'
import { startPostgres, type PostgresHandle } from './postgres.js'
import { startPostgrest, type PostgrestHandle } from './postgrest.js'
import type { RealtimeLimits } from './realtime/limits.js'
import { maintainMessagePartitions } from './realtime/messagesPartitions.js'
import { RealtimeServer } from './realtime/RealtimeServer.js'

/** The JWT secret of every local stack unless one is given: fixed, so keys stay the same across restarts. */
export const DEFAULT_JWT_SECRET = 'supasync-local-development-jwt-secret-at-least-32-chars'

export interface LocalStackOptions {
  /** SQL texts run in order as the superuser after the Supabase bootstrap (your migrations, seeds). */
  sql?: string[]
  /** Use this Postgres (superuser, `wal_level=logical`) instead of starting an embedded one. */
  databaseUrl?: string
  /** Port of the HTTP front (`stack.url`). Default: a free port. */
  port?: number
  /** HS256 secret for all keys and tokens. Default {@link DEFAULT_JWT_SECRET}. */
  jwtSecret?: string
  /** Realtime limits and delays. Defaults are the real server's (join errors wait 5 s). */
  realtime?: Partial<RealtimeLimits> & {
    /** Idle poll interval of the change stream, in ms. Default 10. */
    changePollMs?: number
  }
  /** Receives diagnostic lines from Postgres, PostgREST and Realtime. Default: silent. */
  log?: (line: string) => void
}

/** Options for {@link LocalStack.createClient}: supabase-js client options plus which key to use. */
export type LocalClientOptions = Record<string, unknown> & {
  /** The API key the client sends. Default: the anon key. */
  key?: string
}

export interface LocalStack {
  /** http://127.0.0.1:<port>: pass it to createClient(). `/rest/v1` and `/realtime/v1` are behind it. */
  url: string
  anonKey: string
  serviceRoleKey: string
  jwtSecret: string
  /** Superuser connection string of the stack's Postgres. */
  databaseUrl: string
  /** PostgREST's own address (the gateway routes `/rest/v1` there); for diagnostics. */
  postgrestUrl: string
  /** Data directory of the embedded Postgres, removed by stop(); undefined with `databaseUrl`. */
  dataDirectory: string | undefined
  /** Signs a token as Supabase Auth would issue it. `exp` defaults to one hour from now, `role` to `authenticated`. */
  signJwt(claims: Partial<JwtClaims> & Record<string, unknown>): string
  /**
   * A supabase-js client wired to this stack: no session persistence, and on Node < 22 the `ws`
   * transport that realtime-js needs. Requires `@supabase/supabase-js` to be installed.
   */
  createClient(options?: LocalClientOptions): import('@supabase/supabase-js').SupabaseClient
  faults: LocalStackFaults
  /** The Realtime server, for assertions on its state (socket and channel counts). */
  realtime: RealtimeServer
  /** Runs SQL as the superuser on the stack's database. */
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<Row>>
  /** Stops every process and removes every temp directory. Idempotent. */
  stop(): Promise<void>
}

const FAR_FUTURE_EXP = 1983812996 // 2032-11-11, as long-lived as the Supabase CLI's demo keys

async function loadSql(name: 'supabase-bootstrap.sql' | 'realtime-schema.sql'): Promise<string> {
  // A path, not `new URL(…, import.meta.url)`: Vite (Vitest with a DOM environment) rewrites that pattern into an
  // http:// asset URL, which node:fs cannot read.
  return readFile(join(dirname(fileURLToPath(import.meta.url)), '..', 'sql', name), 'utf8')
}

/**
 * Starts a local Supabase: embedded Postgres (logical decoding on), the real PostgREST binary, and
 * supasync's protocol-faithful Realtime server, behind one HTTP front like Supabase's gateway.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const jwtSecret = options.jwtSecret ?? DEFAULT_JWT_SECRET
  if (jwtSecret.length < 32) throw new Error('jwtSecret must be at least 32 characters, as Supabase requires.')
  const log = options.log
  const cleanups: { name: string; run: () => Promise<void> }[] = []
  const cleanup = async () => {
    for (const step of cleanups.reverse()) {
      log?.(`[stack] stopping ${step.name}`)
      await step.run().catch((error: unknown) => log?.(`[stack] stopping ${step.name} failed: ${String(error)}`))
    }
    cleanups.length = 0
  }
  let supabaseModule: typeof import('@supabase/supabase-js') | undefined
  // The ws class; typed loosely because supabase-js declares its own structural WebSocket type.
  let wsModule: import('@supabase/supabase-js').RealtimeClientOptions['transport']
  try {
    const postgres: PostgresHandle = await startPostgres({ databaseUrl: options.databaseUrl, onLog: log && ((line) => log(`[postgres] ${line}`)) })
    cleanups.push({ name: 'postgres', run: () => postgres.stop() })
    const authenticatorPassword = 'authenticator-local'
    const admin = new pg.Client({ connectionString: postgres.superuserUrl })
    await admin.connect()
    try {
      await admin.query(await loadSql('supabase-bootstrap.sql'))
      await admin.query(await loadSql('realtime-schema.sql'))
      // Today's partitions before the app's SQL, so seeds that call realtime.send store their messages.
      await maintainMessagePartitions(admin)
      await admin.query(`alter role authenticator with login password '${authenticatorPassword}'`)
      for (const [index, sql] of (options.sql ?? []).entries()) {
        try {
          await admin.query(sql)
        } catch (error) {
          throw new Error(`SQL #${index + 1} failed: ${error instanceof Error ? error.message : String(error)}`)
        }
      }
    } finally {
      await admin.end()
    }

    const postgrest: PostgrestHandle = await startPostgrest({
      dbUri: `postgres://authenticator:${authenticatorPassword}@${postgres.host}:${postgres.port}/${postgres.database}`,
      jwtSecret,
      onLog: log && ((line) => log(`[postgrest] ${line}`)),
    })
    cleanups.push({ name: 'postgrest', run: () => postgrest.stop() })

    const { changePollMs, ...limits } = options.realtime ?? {}
    const realtime = new RealtimeServer({
      databaseUrl: postgres.superuserUrl,
      jwtSecret,
      limits,
      changePollMs,
      log: log && ((line) => log(`[realtime] ${line}`)),
    })
    cleanups.push({ name: 'realtime', run: () => realtime.close() })
    await realtime.start()

    const restFaults: RestFaults = { stopped: false, loseResponses: 0 }
    const gateway = new Gateway({ port: options.port ?? 0, postgrestUrl: postgrest.url, realtime, faults: restFaults })
    const port = await gateway.listen()
    cleanups.push({ name: 'gateway', run: () => gateway.close() })

    const queryPool = new pg.Pool({ connectionString: postgres.superuserUrl, max: 4 })
    // An idle client whose server session ends (a Postgres restart, pg_terminate_backend) emits 'error' on the
    // pool; without a listener that is an uncaught exception that takes the whole process down.
    queryPool.on('error', (error) => log?.(`[stack] query pool: ${error.message}`))
    cleanups.push({ name: 'query pool', run: () => queryPool.end() })

    try {
      supabaseModule = await import('@supabase/supabase-js')
      wsModule = (await import('ws')).default as unknown as typeof wsModule
    } catch {
      supabaseModule = undefined
    }

    const sign = (claims: Partial<JwtClaims> & Record<string, unknown>) =>
      signJwt({ role: 'authenticated', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600, ...claims }, jwtSecret)
    const anonKey = signJwt({ iss: 'supasync-local', role: 'anon', iat: 1700000000, exp: FAR_FUTURE_EXP }, jwtSecret)
    const serviceRoleKey = signJwt({ iss: 'supasync-local', role: 'service_role', iat: 1700000000, exp: FAR_FUTURE_EXP }, jwtSecret)
    const url = `http://127.0.0.1:${port}`
    let stopped = false

    return {
      url,
      anonKey,
      serviceRoleKey,
      jwtSecret,
      databaseUrl: postgres.superuserUrl,
      postgrestUrl: postgrest.url,
      dataDirectory: postgres.dataDirectory,
      signJwt: sign,
      createClient(clientOptions = {}) {
        if (!supabaseModule) {
          throw new Error('stack.createClient needs @supabase/supabase-js. Fix: npm install @supabase/supabase-js')
        }
        const { key, ...rest } = clientOptions
        const realtimeOptions = (rest.realtime ?? {}) as Record<string, unknown>
        const authOptions = (rest.auth ?? {}) as Record<string, unknown>
        const needsTransport = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'undefined'
        return supabaseModule.createClient(url, key ?? anonKey, {
          ...rest,
          auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false, ...authOptions },
          realtime: { ...(needsTransport ? { transport: wsModule } : {}), ...realtimeOptions },
        })
      },
      faults: createFaults(realtime, restFaults, postgres),
      realtime,
      query: (sql, params) => queryPool.query(sql, params),
      async stop() {
        if (stopped) return
        stopped = true
        await cleanup()
      },
    }
  } catch (error) {
    await cleanup()
    throw error
  }
}
