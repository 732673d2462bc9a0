/**
 * Issue #10, queue parts: an unreadable IndexedDB record is quarantined (the rest load and send), values JSON cannot
 * carry are refused at enqueue, key problems give dead letters a fix, and a failed file write (ENOSPC) leaves no
 * temp file and loses nothing. Unit level: executor double, fake-indexeddb, an injected fs that fails on demand.
 */
import 'fake-indexeddb/auto'
import * as realFs from 'node:fs/promises'
import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStore as idbStore, set as idbSet } from 'idb-keyval'
import { describe, expect, it } from 'vitest'
import {
  createQueue,
  indexedDbStorage,
  memoryStorage,
  QueueError,
  RequestFailure,
  type QueueRequest,
} from '../src/index.js'
import { fileStorage, type FileStorageFs } from '../src/node.js'
import { fastRetry, scriptedExecutor, testPorts } from './helpers.js'

const rowIds = (request: QueueRequest) => (request.kind === 'upsert' ? request.rows.map((row) => row.id) : [])

describe('an unreadable IndexedDB record', () => {
  it('is quarantined (counted in failed, reported with the fix) while the intact writes next to it load and send', async () => {
    const name = 'outbox-unreadable'
    const writer = createQueue({ executor: scriptedExecutor().executor, storage: indexedDbStorage({ name }), namespace: 'u1', autoFlush: false, ports: testPorts() })
    for (const id of ['a', 'b', 'c']) await writer.enqueue({ table: 't', type: 'upsert', rows: [{ id }] })
    writer.destroy()
    // Written by something else (another version, a devtools edit): values the queue never writes.
    const raw = idbStore(name, 'entries')
    await idbSet(['u1', 'bigint'], { v: 1, body: { op: { values: { count: 10n } } } }, raw)
    const cycle: Record<string, unknown> = { v: 1 }
    cycle.self = cycle
    await idbSet(['u1', 'cycle'], cycle, raw)

    const errors: QueueError[] = []
    const { executor, requests } = scriptedExecutor()
    const queue = createQueue({ executor, storage: indexedDbStorage({ name }), namespace: 'u1', autoFlush: false, ports: testPorts(), onError: (error) => errors.push(error) })
    await queue.ready
    expect(queue.status.get()).toMatchObject({ pending: 3, failed: 2, lastError: { code: 'CORRUPT_ENTRY' } })
    expect(errors.map((error) => error.code)).toEqual(['CORRUPT_ENTRY', 'CORRUPT_ENTRY'])
    const bigint = errors.find((error) => error.message.includes('bigint'))!
    expect(bigint.message).toMatch(/IndexedDB holds an object under this key instead of the queue's text.*value\.body\.op\.values\.count is a BigInt/)
    expect(bigint.message).toMatch(/quarantined.*never sent.*queue\.discard\("bigint"\)/)
    expect(errors.find((error) => error.message.includes('"cycle"'))!.message).toMatch(/value\.self is a circular reference/)
    expect(queue.failed.get().map((letter) => [letter.id, letter.reason.code])).toEqual(
      expect.arrayContaining([
        ['bigint', 'CORRUPT_ENTRY'],
        ['cycle', 'CORRUPT_ENTRY'],
      ]),
    )

    expect(await queue.flush()).toEqual({ sent: 3, failed: 0, pending: 0 })
    expect(requests.flatMap((entry) => rowIds(entry.request)).sort()).toEqual(['a', 'b', 'c'])
    await queue.discard('bigint')
    await queue.discard('cycle')
    expect(queue.status.get()).toMatchObject({ pending: 0, failed: 0 })
    expect((await indexedDbStorage({ name }).readAll('u1')).size).toBe(0)
    queue.destroy()
  })
})

describe('enqueue refuses values JSON cannot carry', () => {
  it('with UNSERIALIZABLE naming the path and the fix, storing nothing', async () => {
    const storage = memoryStorage()
    const errors: QueueError[] = []
    const queue = createQueue({ executor: scriptedExecutor().executor, storage, autoFlush: false, ports: testPorts(), onError: (error) => errors.push(error) })
    const refused = await queue.enqueue({ table: 't', type: 'update', values: { meta: { count: 10n } }, match: { id: 'a' } }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(QueueError)
    expect(refused).toMatchObject({ code: 'UNSERIALIZABLE' })
    expect((refused as Error).message).toMatch(/^enqueue\(\): values\.meta\.count is a BigInt: .*String\(value\).*NOT queued/)
    const cases: [unknown, RegExp][] = [
      [{ table: 't', type: 'upsert', rows: [{ id: 'a', tags: new Map([['x', 1]]) }] }, /rows\[0\]\.tags is a Map/],
      [{ table: 't', type: 'upsert', rows: [{ id: 'a', tags: new Set(['x']) }] }, /rows\[0\]\.tags is a Set/],
      [{ table: 't', type: 'update', values: { score: Number.NaN }, match: { id: 'a' } }, /values\.score is NaN/],
      [{ table: 't', type: 'update', values: { score: -Infinity }, match: { id: 'a' } }, /values\.score is -Infinity/],
      [{ table: 't', type: 'update', values: { list: [1, undefined] }, match: { id: 'a' } }, /values\.list\[1\] is undefined inside an array/],
      [{ rpc: 'f', args: { run: () => 1 } }, /args\.run is a function/],
      [{ table: 't', type: 'update', values: { at: new URLSearchParams('a=1') }, match: { id: 'a' } }, /values\.at is a URLSearchParams/],
    ]
    for (const [operation, message] of cases) {
      await expect(queue.enqueue(operation as never)).rejects.toMatchObject({ code: 'UNSERIALIZABLE', message: expect.stringMatching(message) })
    }
    const loop: Record<string, unknown> = { id: 'a' }
    loop.parent = { child: loop }
    await expect(queue.enqueue({ table: 't', type: 'upsert', rows: [loop] })).rejects.toMatchObject({ code: 'UNSERIALIZABLE', message: expect.stringMatching(/rows\[0\]\.parent\.child is a circular reference to rows\[0\]/) })
    expect(queue.status.get()).toMatchObject({ pending: 0, lastError: null })
    expect((await storage.readAll('default')).size).toBe(0)
    expect(errors).toEqual([]) // a refused enqueue is the caller's error, not the queue's
    queue.destroy()
  })

  it('stores a Date as its ISO string (JSON-safe through toJSON)', async () => {
    const queue = createQueue({ executor: scriptedExecutor().executor, storage: memoryStorage(), autoFlush: false, ports: testPorts() })
    const { operation } = await queue.enqueue({ table: 't', type: 'update', values: { due: new Date(Date.UTC(2030, 0, 2)) }, match: { id: 'a' } })
    expect(operation).toMatchObject({ values: { due: '2030-01-02T00:00:00.000Z' } })
    queue.destroy()
  })
})

describe('dead letters for a table without a usable key say what to change', () => {
  const refuse = (pgCode: string, message: string) => () => new RequestFailure({ status: 400, message, pgCode })
  const deadLetter = async (script: (() => RequestFailure)[], operation: Parameters<ReturnType<typeof createQueue>['enqueue']>[0], idColumn?: string) => {
    const errors: QueueError[] = []
    const queue = createQueue({ executor: scriptedExecutor(script).executor, storage: memoryStorage(), autoFlush: false, ports: testPorts(), retry: fastRetry, onError: (error) => errors.push(error), ...(idColumn ? { idColumn } : {}) })
    await queue.enqueue(operation)
    await queue.flush()
    const letter = queue.failed.get()[0]!
    const status = queue.status.get()
    queue.destroy()
    return { letter, errors, status }
  }

  it('no unique constraint on idColumn (42P10): add a primary key or set idColumn', async () => {
    const { letter, errors, status } = await deadLetter(
      [refuse('42P10', 'there is no unique or exclusion constraint matching the ON CONFLICT specification')],
      { table: 'readings', type: 'upsert', rows: [{ v: 1 }] },
    )
    expect(letter.reason.code).toBe('REJECTED')
    expect(letter.reason.message).toMatch(/^there is no unique .* specification\. Fix: .*on conflict \(id\).*table readings needs a primary key or unique constraint on "id".*alter table readings add primary key \(id\).*createQueue\(\{ idColumn \}\)/)
    expect(errors[0]!.message).toContain(letter.reason.message)
    expect(status.lastError?.message).toBe(letter.reason.message)
  })

  it('a table without the idColumn column (PGRST204): set idColumn to its key', async () => {
    const { letter } = await deadLetter(
      [refuse('PGRST204', "Could not find the 'id' column of 'sensors' in the schema cache")],
      { table: 'sensors', type: 'insert', rows: [{ serial: 'x1' }] },
    )
    expect(letter.reason.message).toMatch(/Fix: table sensors has no column "id".*idColumn.*createQueue\(\{ idColumn \}\) to the table's primary-key column/)
  })

  it('an update matched on a column the table lacks (42703): names match.<column> and idColumn', async () => {
    const { letter } = await deadLetter(
      [refuse('42703', 'column sensors.id does not exist')],
      { table: 'sensors', type: 'update', values: { v: 1 }, match: { id: 'x1' } },
    )
    expect(letter.reason.message).toMatch(/Fix: match\.id names a column table sensors does not have.*"id" is the queue's idColumn.*createQueue\(\{ idColumn \}\)/)
  })

  it('an identity key that refuses client ids (428C9)', async () => {
    const { letter } = await deadLetter(
      [refuse('428C9', 'cannot insert a non-DEFAULT value into column "uid"')],
      { table: 'log', type: 'insert', rows: [{ body: 'x' }] },
      'uid',
    )
    expect(letter.reason.message).toMatch(/Fix: log\.uid is "generated always as identity".*generated by default/)
  })

  it('leaves other refusals as the server worded them', async () => {
    const { letter } = await deadLetter([refuse('23514', 'new row violates check constraint "n_positive"')], { table: 'strict', type: 'upsert', rows: [{ id: 'a', n: -1 }] })
    expect(letter.reason.message).toBe('new row violates check constraint "n_positive"')
  })
})

describe('fileStorage on a full disk (ENOSPC)', () => {
  type Step = 'open' | 'write' | 'fsync' | 'close' | 'rename'
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })

  /** node:fs/promises, except that the next write of a temp file fails at `step` (after doing part of the work). */
  function fullDiskAt(control: { step: Step | undefined }): FileStorageFs {
    const isTemp = (path: unknown) => String(path).endsWith('.tmp')
    return {
      ...realFs,
      async open(path, flags) {
        if (control.step === 'open' && isTemp(path)) {
          await realFs.writeFile(path, '') // the file can exist although open failed
          throw enospc()
        }
        const handle = await realFs.open(path, flags)
        if (!isTemp(path)) return handle
        const step = control.step
        return Object.assign(Object.create(handle) as typeof handle, {
          async writeFile(text: string) {
            if (step !== 'write') return handle.writeFile(text, 'utf8')
            await handle.writeFile(text.slice(0, 10), 'utf8') // a partial record reached the disk
            throw enospc()
          },
          sync: () => (step === 'fsync' ? Promise.reject(enospc()) : handle.sync()),
          close: async () => {
            await handle.close()
            if (step === 'close') throw enospc() // NFS and some FUSE file systems report ENOSPC at close
          },
        })
      },
      rename: (from, to) => (control.step === 'rename' ? Promise.reject(enospc()) : realFs.rename(from, to)),
    }
  }

  it.each<Step>(['open', 'write', 'fsync', 'close', 'rename'])('a failure at %s leaves no temp file, rejects the enqueue clearly and loses nothing stored', async (step) => {
    const path = await mkdtemp(join(tmpdir(), 'queue-enospc-'))
    const control: { step: Step | undefined } = { step: undefined }
    const errors: QueueError[] = []
    const queue = createQueue({ executor: scriptedExecutor().executor, storage: fileStorage({ path, fs: fullDiskAt(control) }), autoFlush: false, ports: testPorts(), onError: (error) => errors.push(error) })
    const kept = await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'kept', v: 1 }] })
    const [directory] = await readdir(path)
    const before = await readFile(join(path, directory!, `${kept.id}.entry`), 'utf8')

    control.step = step
    const error = await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'lost', v: 2 }] }).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'STORAGE_FAILED' })
    expect((error as Error).message).toMatch(/ENOSPC: no space left on device\. It was NOT queued \(free up storage, then enqueue it again\); nothing already queued was touched/)
    expect(errors.map((reported) => reported.code)).toEqual(['STORAGE_FAILED'])
    expect(queue.status.get()).toMatchObject({ pending: 1, lastError: { code: 'STORAGE_FAILED' } })
    expect(await readdir(join(path, directory!))).toEqual([`${kept.id}.entry`]) // no .tmp left behind
    expect(await readFile(join(path, directory!, `${kept.id}.entry`), 'utf8')).toBe(before)
    queue.destroy()

    // The next start (disk freed) has exactly the stored write.
    const { executor, requests } = scriptedExecutor()
    const next = createQueue({ executor, storage: fileStorage({ path }), autoFlush: false, ports: testPorts() })
    expect(await next.flush()).toEqual({ sent: 1, failed: 0, pending: 0 })
    expect(requests.flatMap((entry) => rowIds(entry.request))).toEqual(['kept'])
    next.destroy()
  })
})
