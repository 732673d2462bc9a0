import type { QueueStorage } from './QueueStorage.js'
import { unreadableRecord } from './unreadableRecord.js'

/** The parts of `node:fs/promises` that {@link fileStorage} uses. */
export type FileStorageFs = Pick<typeof import('node:fs/promises'), 'mkdir' | 'open' | 'readdir' | 'readFile' | 'rename' | 'unlink'>

// node:fs is imported on first use, so importing @supasync/queue in a browser bundle pulls in no Node built-ins.
let fsModule: Promise<FileStorageFs> | undefined
const nodeFs = () => (fsModule ??= import('node:fs/promises'))
const join = (...parts: string[]) => parts.join('/')

export interface FileStorageOptions {
  /** Directory that holds the queue; created when missing. One sub-directory per namespace, one file per entry. */
  path: string
  /**
   * fsync every record before it counts as written. Default `true`: a write survives a power cut, not only a killed
   * process. `false` is faster and still survives `kill -9` (the OS page cache outlives the process).
   */
  fsync?: boolean
  /**
   * The file system calls to use. Default: `node:fs/promises`, imported on first use. For tests that inject failures
   * (a full disk at open, write, fsync or rename) and for wrappers around `fs` (metrics, a virtual file system).
   */
  fs?: FileStorageFs
}

/** `path` made absolute and normalised (`.`, `..`, repeated and trailing `/`), without importing node:path. */
function absolutePath(path: string): string {
  const cwd = (globalThis as { process?: { cwd?: () => string } }).process?.cwd?.() ?? ''
  const full = path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) ? path : `${cwd}/${path}`
  const parts: string[] = []
  for (const part of full.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') parts.pop()
    else parts.push(part)
  }
  return (full.startsWith('/') ? '/' : '') + parts.join('/')
}

const SUFFIX = '.entry'
const TEMP = '.tmp'

/**
 * A namespace as a safe directory name: `ns-` + the hex of its UTF-8 bytes. Lower case only, so namespaces that differ
 * only in case (`User`, `user`) never share a directory on a case-insensitive file system (macOS, Windows).
 */
const scopeDirectory = (scope: string) =>
  `ns-${Array.from(new TextEncoder().encode(scope), (byte) => byte.toString(16).padStart(2, '0')).join('')}`
const safeKey = (key: string) => {
  if (!/^[A-Za-z0-9_-]+$/.test(key)) throw new Error(`fileStorage: key ${JSON.stringify(key)} is not a safe file name`)
  return key
}

/**
 * Node file storage. Each entry is one file written as temp file + fsync + rename, so a process killed mid-write
 * leaves either the previous file or the new one; leftover temp files are deleted on the next read.
 */
export function fileStorage(options: FileStorageOptions): QueueStorage {
  const fsync = options.fsync ?? true
  const loadFs = options.fs ? async () => options.fs! : nodeFs
  const directory = (scope: string) => join(options.path, scopeDirectory(scope))
  const made = new Set<string>()
  const ensure = async (scope: string) => {
    const dir = directory(scope)
    if (!made.has(dir)) {
      await (await loadFs()).mkdir(dir, { recursive: true })
      made.add(dir)
    }
    return dir
  }
  return {
    description: `file:${options.path}`,
    location: `file:${absolutePath(options.path)}`,
    async readAll(scope) {
      const { readdir, readFile, unlink } = await loadFs()
      const dir = await ensure(scope)
      const records = new Map<string, string>()
      for (const name of (await readdir(dir)).sort()) {
        if (name.endsWith(TEMP)) {
          await unlink(join(dir, name)).catch(() => undefined) // a write that never reached its rename
          continue
        }
        if (!name.endsWith(SUFFIX)) continue
        // One unreadable file must not fail the whole load: the queue quarantines it (listed in failed, kept on disk)
        // and loads the rest.
        const text = await readFile(join(dir, name), 'utf8').catch((error: unknown) =>
          unreadableRecord(`the entry file ${join(dir, name)} could not be read (${error instanceof Error ? error.message : String(error)}); check its permissions and type`),
        )
        records.set(name.slice(0, -SUFFIX.length), text)
      }
      return records
    },
    async write(scope, key, text) {
      const { open, rename, unlink } = await loadFs()
      const dir = await ensure(scope)
      const target = join(dir, safeKey(key) + SUFFIX)
      const temp = join(dir, `.${key}.${globalThis.crypto.randomUUID().slice(0, 8)}${TEMP}`)
      // Any step can fail (ENOSPC, EIO, a quota): the partial temp file goes at once, on every path, so a full disk
      // is not filled further by leftovers and the directory holds only whole entries. The target is untouched
      // until the rename, so a failed write never damages what is already stored.
      try {
        const handle = await open(temp, 'w')
        try {
          await handle.writeFile(text, 'utf8')
          if (fsync) await handle.sync()
        } catch (error) {
          await handle.close().catch(() => undefined) // the write's error is the one worth reporting
          throw error
        }
        await handle.close()
        await rename(temp, target)
      } catch (error) {
        // Also after a failed open: it can fail after creating the file. ENOENT here is the normal case.
        await unlink(temp).catch(() => undefined)
        throw error
      }
      // The rename lives in the directory: sync it too, or a power cut can lose the new name (POSIX). Directories
      // cannot be opened for sync on some platforms (Windows): skipped there.
      if (fsync) {
        const dirHandle = await open(dir, 'r').catch(() => undefined)
        if (dirHandle) {
          try {
            await dirHandle.sync().catch(() => undefined)
          } finally {
            // The entry is already in place: a failing close must not make the caller believe it was not stored.
            await dirHandle.close().catch(() => undefined)
          }
        }
      }
    },
    async remove(scope, keys) {
      const { unlink } = await loadFs()
      const dir = await ensure(scope)
      await Promise.all(
        keys.map((key) =>
          unlink(join(dir, safeKey(key) + SUFFIX)).catch((error: NodeJS.ErrnoException) => {
            if (error.code !== 'ENOENT') throw error
          }),
        ),
      )
    },
  }
}
