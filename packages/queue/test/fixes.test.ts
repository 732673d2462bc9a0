import { mkdtemp, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createQueue, memoryStorage, RequestFailure, type QueueRequest, type QueueStorage } from '../src/index.js'
import { fileStorage } from '../src/node.js'
import { conflictKeys } from '../src/operations.js'
import { fastRetry, scriptedExecutor, testPorts, waitFor } from './helpers.js'

const refuse = (status = 400, pgCode?: string) => new RequestFailure({ status, message: `HTTP ${status}`, pgCode })
const label = (request: QueueRequest) => JSON.stringify(request.kind === 'upsert' ? request.rows : request.kind === 'update' ? request.values : request.kind)

function deferred() {
  let resolve!: () => void
  let reject!: (error: Error) => void
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)))
  return { promise, resolve, reject }
}

/** A memory storage whose next write / remove can be held or made to fail. */
function controllableStorage() {
  const inner = memoryStorage()
  const control = { writeGate: undefined as Promise<void> | undefined, removeGate: undefined as Promise<void> | undefined, failRemove: 0, failReadAll: false }
  const storage: QueueStorage = {
    description: 'controllable',
    async readAll(scope) {
      if (control.failReadAll) throw new Error('disk unreadable')
      return inner.readAll(scope)
    },
    async write(scope, key, text) {
      if (control.writeGate) await control.writeGate
      return inner.write(scope, key, text)
    },
    async remove(scope, keys) {
      if (control.removeGate) await control.removeGate
      if (control.failRemove > 0) {
        control.failRemove--
        throw new Error('remove refused')
      }
      return inner.remove(scope, keys)
    },
  }
  return { storage, control, inner }
}

describe('queue fixes', () => {
  it('a dead letter blocks its record: later writes to it wait until retry, then run in order', async () => {
    const { executor, requests } = scriptedExecutor([() => refuse(400)])
    const queue = createQueue({ executor, storage: memoryStorage(), autoFlush: false, ports: testPorts(), retry: fastRetry })
    await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a', v: 1 }] })
    expect(await queue.flush()).toMatchObject({ failed: 1 })
    await queue.enqueue({ table: 't', type: 'update', values: { v: 2 }, match: { id: 'a' } })
    await queue.enqueue({ table: 't', type: 'update', values: { v: 9 }, match: { id: 'b' } })
    expect(await queue.flush()).toEqual({ sent: 1, failed: 0, pending: 1 })
    expect(requests.map((entry) => label(entry.request))).toEqual([label(requests[0]!.request), '{"v":9}'])
    await queue.retry(queue.failed.get()[0]!.id)
    await queue.flush()
    expect(requests.slice(2).map((entry) => label(entry.request))).toEqual(['[{"id":"a","v":1}]', '{"v":2}'])
    expect(queue.status.get()).toMatchObject({ pending: 0, failed: 0 })
    queue.destroy()
  })

  it('a dead letter blocks its record until discard', async () => {
    const { executor, requests } = scriptedExecutor([() => refuse(400)])
    const queue = createQueue({ executor, storage: memoryStorage(), autoFlush: false, ports: testPorts(), retry: fastRetry })
    await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a', v: 1 }] })
    await queue.flush()
    await queue.enqueue({ table: 't', type: 'update', values: { v: 2 }, match: { id: 'a' } })
    await queue.flush()
    expect(requests).toHaveLength(1)
    await queue.discard(queue.failed.get()[0]!.id)
    expect(await queue.flush()).toEqual({ sent: 1, failed: 0, pending: 0 })
    queue.destroy()
  })

  it('two concurrent retry(id) calls both resolve and the write is sent once', async () => {
    const { executor, requests } = scriptedExecutor([() => refuse(400)])
    const queue = createQueue({ executor, storage: memoryStorage(), autoFlush: false, ports: testPorts(), retry: fastRetry })
    await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    await queue.flush()
    const id = queue.failed.get()[0]!.id
    await expect(Promise.all([queue.retry(id), queue.retry(id)])).resolves.toBeDefined()
    await queue.flush()
    expect(requests).toHaveLength(2)
    expect(queue.status.get()).toMatchObject({ pending: 0, failed: 0 })
    queue.destroy()
  })

  it('one record under two spellings (schema omitted / public, id 1 / "1") is one record', () => {
    const a = conflictKeys({ table: 't', type: 'update', values: { v: 1 }, match: { id: 1 } }, 'id')
    const b = conflictKeys({ schema: 'public', table: 't', type: 'upsert', rows: [{ id: '1' }] }, 'id')
    expect(a).toEqual(b)
  })

  it('flush() with autoFlush: false resolves when called while an enqueue is being stored, and sends it', async () => {
    const { storage, control } = controllableStorage()
    const { executor, requests } = scriptedExecutor()
    const queue = createQueue({ executor, storage, autoFlush: false, ports: testPorts() })
    await queue.ready
    const gate = deferred()
    control.writeGate = gate.promise
    const enqueued = queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    await new Promise((resolve) => setTimeout(resolve, 5))
    const flushed = queue.flush()
    await new Promise((resolve) => setTimeout(resolve, 5))
    gate.resolve()
    await enqueued
    const result = await Promise.race([flushed, new Promise((resolve) => setTimeout(() => resolve('timeout'), 1000))])
    expect(result).toEqual({ sent: 1, failed: 0, pending: 0 })
    expect(requests).toHaveLength(1)
    queue.destroy()
  })

  it('retry(id) sends with autoFlush: false', async () => {
    const { executor, requests } = scriptedExecutor([() => refuse(400)])
    const queue = createQueue({ executor, storage: memoryStorage(), autoFlush: false, ports: testPorts(), retry: fastRetry })
    await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    await queue.flush()
    await queue.retry(queue.failed.get()[0]!.id)
    await waitFor(() => requests.length === 2 && queue.status.get().pending === 0, 1000, 'the retried write to be sent')
    queue.destroy()
  })

  it('clear() stops a write that would start sending while it awaits the storage', async () => {
    const { storage, control } = controllableStorage()
    const { executor, requests } = scriptedExecutor()
    const queue = createQueue({ executor, storage, autoFlush: false, ports: testPorts() })
    await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    const gate = deferred()
    control.removeGate = gate.promise
    const cleared = queue.clear()
    await new Promise((resolve) => setTimeout(resolve, 5))
    const flushed = queue.flush()
    gate.resolve()
    await cleared
    await flushed
    expect(requests).toHaveLength(0)
    expect(queue.status.get().pending).toBe(0)
    queue.destroy()
  })

  it('a failed load keeps seq monotonic (old writes stay first) and shows the failure in status.lastError', async () => {
    const { storage, control } = controllableStorage()
    const first = createQueue({ executor: scriptedExecutor().executor, storage, autoFlush: false, ports: testPorts() })
    await first.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'b', v: 1 }] })
    await first.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a', v: 1 }] })
    first.destroy()
    control.failReadAll = true
    const second = createQueue({ executor: scriptedExecutor().executor, storage, autoFlush: false, ports: testPorts() })
    await second.ready
    expect(second.status.get().lastError).toMatchObject({ code: 'STORAGE_FAILED' })
    expect(second.status.get().lastError!.message).toMatch(/restart|create the queue again/i)
    await second.enqueue({ table: 't', type: 'update', values: { v: 2 }, match: { id: 'a' } })
    await second.enqueue({ table: 'other', type: 'upsert', rows: [{ id: 'x' }] })
    second.destroy()
    control.failReadAll = false
    const { executor, requests } = scriptedExecutor()
    const third = createQueue({ executor, storage, autoFlush: false, ports: testPorts(), concurrency: 1 })
    await third.flush()
    const order = requests.map((entry) => label(entry.request))
    expect(order.indexOf('[{"id":"a","v":1}]')).toBeLessThan(order.indexOf('{"v":2}'))
    third.destroy()
  })

  it('fileStorage hands an unreadable entry file over for quarantine instead of failing the whole load', async () => {
    const { mkdir } = await import('node:fs/promises')
    const path = await mkdtemp(join(tmpdir(), 'queue-fix-'))
    const first = createQueue({ executor: scriptedExecutor().executor, storage: fileStorage({ path, fsync: false }), autoFlush: false, ports: testPorts() })
    await first.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    first.destroy()
    const [namespaceDir] = await readdir(path)
    await mkdir(join(path, namespaceDir!, 'unreadable.entry')) // readFile fails with EISDIR
    const second = createQueue({ executor: scriptedExecutor().executor, storage: fileStorage({ path, fsync: false }), autoFlush: false, ports: testPorts() })
    await second.ready
    expect(second.status.get()).toMatchObject({ pending: 1, failed: 1 })
    expect(second.failed.get()[0]).toMatchObject({ id: 'unreadable', reason: { code: 'CORRUPT_ENTRY' } })
    second.destroy()
  })

  it('a failed remove after a successful send blocks later writes to the record and is retried', async () => {
    const { storage, control, inner } = controllableStorage()
    const { executor, requests } = scriptedExecutor()
    const errors: string[] = []
    const queue = createQueue({ executor, storage, autoFlush: false, ports: testPorts(), onError: (error) => errors.push(error.code) })
    control.failRemove = 2
    await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a', v: 1 }] })
    expect(await queue.flush()).toMatchObject({ sent: 1, pending: 0 })
    expect(errors).toContain('STORAGE_FAILED')
    await queue.enqueue({ table: 't', type: 'update', values: { v: 2 }, match: { id: 'a' } })
    expect(await queue.flush()).toMatchObject({ pending: 1 }) // the removal fails again: v2 must wait
    expect(requests).toHaveLength(1)
    expect(await queue.flush()).toMatchObject({ sent: 1, pending: 0 })
    expect(requests.map((entry) => label(entry.request))).toEqual(['[{"id":"a","v":1}]', '{"v":2}'])
    expect((await inner.readAll('default')).size).toBe(0)
    queue.destroy()
  })

  it('refuses a second queue on the same outbox through a second storage object (same file path)', async () => {
    const path = await mkdtemp(join(tmpdir(), 'queue-fix-'))
    const first = createQueue({ executor: scriptedExecutor().executor, storage: fileStorage({ path }), ports: testPorts() })
    expect(() => createQueue({ executor: scriptedExecutor().executor, storage: fileStorage({ path: path + '/' }), ports: testPorts() })).toThrow(/namespace/)
    const other = createQueue({ executor: scriptedExecutor().executor, storage: fileStorage({ path }), namespace: 'other', ports: testPorts() })
    const memoryA = createQueue({ executor: scriptedExecutor().executor, storage: memoryStorage(), ports: testPorts() })
    const memoryB = createQueue({ executor: scriptedExecutor().executor, storage: memoryStorage(), ports: testPorts() })
    for (const queue of [first, other, memoryA, memoryB]) queue.destroy()
  })

  it('fileStorage keeps namespaces that differ only in case in different, case-free directories', async () => {
    const path = await mkdtemp(join(tmpdir(), 'queue-fix-'))
    const storage = fileStorage({ path, fsync: true })
    await storage.write('User', 'k1', 'upper')
    await storage.write('user', 'k2', 'lower')
    const names = await readdir(path)
    expect(names).toHaveLength(2)
    for (const name of names) expect(name).toBe(name.toLowerCase())
    expect([...(await storage.readAll('User')).keys()]).toEqual(['k1'])
    expect([...(await storage.readAll('user')).keys()]).toEqual(['k2'])
  })

  it('a 401 with an expired/invalid JWT (PGRST301/PGRST303) waits for the next trigger instead of dead-lettering', async () => {
    const ports = testPorts()
    const { executor, requests } = scriptedExecutor([() => refuse(401, 'PGRST303')])
    const queue = createQueue({ executor, storage: memoryStorage(), autoFlush: false, ports, retry: fastRetry })
    await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    expect(await queue.flush()).toEqual({ sent: 0, failed: 0, pending: 1 })
    expect(requests).toHaveLength(1) // no backoff retries against the same token
    expect(queue.status.get()).toMatchObject({ failed: 0, lastError: { status: 401, pgCode: 'PGRST303' } })
    ports.visibility.set(false)
    ports.visibility.set(true)
    await waitFor(() => queue.status.get().pending === 0, 1000, 'the write after the trigger')
    expect(requests).toHaveLength(2)
    queue.destroy()
  })
})
