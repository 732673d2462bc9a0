import 'fake-indexeddb/auto'
import { createStore } from '@supasync/core'
import { describe, expect, it } from 'vitest'
import {
  createQueue,
  indexedDbStorage,
  memoryStorage,
  QueueError,
  QueueFullError,
  RequestFailure,
  type QueueRequest,
  type QueueStorage,
} from '../src/index.js'
import { transition } from '../src/entry.js'
import { fastRetry, scriptedExecutor, testPorts, waitFor } from './helpers.js'

const ok = () => undefined
const fail = (status: number, retryAfterMs?: number) => () => new RequestFailure({ status, message: `HTTP ${status}`, pgCode: status === 400 ? '22P02' : undefined, retryAfterMs })

describe('queue (unit, executor double)', () => {
  it('batches consecutive upserts to one table: 50 rows are one request, with client ids and onConflict', async () => {
    const { executor, requests } = scriptedExecutor()
    const queue = createQueue({ executor, storage: memoryStorage(), autoFlush: false, ports: testPorts() })
    for (let index = 0; index < 50; index++) await queue.enqueue({ table: 'components', type: 'upsert', rows: [{ milestone: 'welded', n: index }] })
    expect(queue.status.get()).toMatchObject({ pending: 50, failed: 0 })
    const result = await queue.flush()
    expect(result).toEqual({ sent: 50, failed: 0, pending: 0 })
    expect(requests).toHaveLength(1)
    const request = requests[0]!.request as Extract<QueueRequest, { kind: 'upsert' }>
    expect(request).toMatchObject({ kind: 'upsert', table: 'components', onConflict: 'id', ignoreDuplicates: false })
    expect(request.rows).toHaveLength(50)
    expect(new Set(request.rows.map((row) => row.id)).size).toBe(50)
    expect(request.rows.map((row) => row.n)).toEqual([...Array(50).keys()])
    expect(queue.status.get()).toMatchObject({ pending: 0, flushing: false, lastError: null })
    queue.destroy()
  })

  it('batches updates with equal values by id into one .in() request; inserts replay with ignoreDuplicates', async () => {
    const { executor, requests } = scriptedExecutor()
    const queue = createQueue({ executor, storage: memoryStorage(), autoFlush: false, ports: testPorts() })
    for (let id = 1; id <= 5; id++) await queue.enqueue({ table: 'components', type: 'update', values: { status: 'done' }, match: { id } })
    await queue.enqueue({ table: 'notes', type: 'insert', rows: [{ body: 'a' }] })
    await queue.flush()
    expect(requests.map((entry) => entry.request)).toEqual([
      { kind: 'update', schema: undefined, table: 'components', values: { status: 'done' }, match: {}, in: { column: 'id', values: [1, 2, 3, 4, 5] } },
      expect.objectContaining({ kind: 'upsert', table: 'notes', ignoreDuplicates: true }),
    ])
    queue.destroy()
  })

  it('keeps FIFO per record and runs independent records in parallel; an rpc without keys is a barrier', async () => {
    const order: string[] = []
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const executor = {
      async execute(request: QueueRequest) {
        const label = request.kind === 'rpc' ? `rpc` : request.kind === 'update' ? `update:${JSON.stringify(request.match)}` : `${request.kind}:${request.kind === 'upsert' ? request.rows.map((row) => row.id).join(',') : ''}`
        order.push(`start ${label}`)
        if (label === 'upsert:a') await gate
        order.push(`end ${label}`)
      },
    }
    const queue = createQueue({ executor, storage: memoryStorage(), autoFlush: false, ports: testPorts() })
    await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a', v: 1 }] })
    await queue.enqueue({ table: 't', type: 'update', values: { v: 2 }, match: { id: 'a' } })
    await queue.enqueue({ table: 't', type: 'update', values: { v: 3 }, match: { id: 'b' } })
    await queue.enqueue({ rpc: 'complete_milestone', args: { component_id: 'a' } })
    const flushed = queue.flush()
    await waitFor(() => order.includes('end update:{"id":"b"}'), 2000, 'the independent update to run while a is blocked')
    expect(order).not.toContain('start update:{"id":"a"}')
    expect(order).not.toContain('start rpc')
    release()
    await flushed
    expect(order.indexOf('end upsert:a')).toBeLessThan(order.indexOf('start update:{"id":"a"}'))
    expect(order.indexOf('end update:{"id":"a"}')).toBeLessThan(order.indexOf('start rpc'))
    queue.destroy()
  })

  it('sends a 4xx to the dead letters with the PostgREST text (splitting its batch), and the rest continue', async () => {
    // The row with id b is refused: its batch of 3 fails, then each goes alone and only b is a dead letter.
    const requests: QueueRequest[] = []
    let refuseB = true
    const executor = {
      async execute(request: QueueRequest) {
        requests.push(request)
        if (refuseB && request.kind === 'upsert' && request.rows.some((row) => row.id === 'b')) throw fail(400)()
      },
    }
    const errors: QueueError[] = []
    const queue = createQueue({ executor, storage: memoryStorage(), autoFlush: false, ports: testPorts(), retry: fastRetry, onError: (error) => errors.push(error) })
    for (const id of ['a', 'b', 'c']) await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id, v: 1 }] })
    await queue.enqueue({ table: 'u', type: 'delete', match: { id: 'z' } })
    expect(await queue.flush()).toEqual({ sent: 3, failed: 1, pending: 0 })
    expect(requests).toHaveLength(5)
    const [letter] = queue.failed.get()
    expect(queue.failed.get()).toHaveLength(1)
    expect(letter).toMatchObject({ description: 'upsert t (1 row)', reason: { code: 'REJECTED', status: 400, pgCode: '22P02', message: 'HTTP 400' } })
    expect((letter!.operation as unknown as { rows: { id: string }[] }).rows[0]!.id).toBe('b')
    expect(queue.status.get()).toMatchObject({ pending: 0, failed: 1 })
    expect(errors.map((error) => error.code)).toEqual(['REJECTED'])
    // retry(id) puts it back (after the cause is fixed).
    refuseB = false
    await queue.retry(letter!.id)
    await queue.flush()
    expect(queue.failed.get()).toEqual([])
    queue.destroy()
  })

  it('retries 429 / 503 / network errors with backoff and honours Retry-After', async () => {
    const { executor, requests } = scriptedExecutor([fail(503), fail(429, 150), fail(0), ok])
    const queue = createQueue({ executor, storage: memoryStorage(), autoFlush: false, ports: testPorts(), retry: fastRetry })
    await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    const result = await queue.flush()
    expect(result).toEqual({ sent: 1, failed: 0, pending: 0 })
    expect(requests).toHaveLength(4)
    const gaps = requests.slice(1).map((entry, index) => entry.at - requests[index]!.at)
    expect(gaps[0]).toBeGreaterThanOrEqual(4) // backoff, never immediate
    expect(gaps[1]).toBeGreaterThanOrEqual(150) // Retry-After after the 429
    expect(queue.status.get().lastError).toBeNull()
    queue.destroy()
  })

  it('when retries run out the write waits (pending, lastError UNREACHABLE) and goes on the next trigger', async () => {
    const ports = testPorts()
    const { executor, requests } = scriptedExecutor([fail(503), fail(503), ok])
    const queue = createQueue({ executor, storage: memoryStorage(), ports, retry: { retries: 1, minTimeoutMs: 1, maxTimeoutMs: 1 }, retryIntervalMs: 60_000 })
    await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    await waitFor(() => requests.length === 2 && !queue.status.get().flushing, 2000, 'two attempts')
    expect(queue.status.get()).toMatchObject({ pending: 1, lastError: { code: 'UNREACHABLE', status: 503 } })
    expect(ports.timers.active).toBe(1) // the wake timer
    ports.visibility.set(false)
    ports.visibility.set(true) // tab visible again → flush
    await waitFor(() => queue.status.get().pending === 0, 2000, 'the write after the trigger')
    expect(requests).toHaveLength(3)
    queue.destroy()
  })

  it('does not send while offline, and flushes when the network port says online', async () => {
    const ports = testPorts()
    ports.network.set(false)
    const { executor, requests } = scriptedExecutor()
    const queue = createQueue({ executor, storage: memoryStorage(), ports })
    await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    expect(await queue.flush()).toEqual({ sent: 0, failed: 0, pending: 1 })
    expect(requests).toHaveLength(0)
    ports.network.set(true)
    await waitFor(() => queue.status.get().pending === 0, 2000, 'flush on online')
    expect(requests).toHaveLength(1)
    queue.destroy()
  })

  it('flushes when the supasync connection goes live', async () => {
    const status = createStore({ state: 'offline' })
    const { executor, requests } = scriptedExecutor([fail(0), ok])
    const queue = createQueue({ executor, storage: memoryStorage(), ports: testPorts(), sync: { status }, retry: { retries: 0 } })
    await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    await waitFor(() => requests.length === 1 && !queue.status.get().flushing, 2000, 'the first attempt')
    expect(queue.status.get().pending).toBe(1)
    status.set({ state: 'live' })
    await waitFor(() => queue.status.get().pending === 0, 2000, 'flush on live')
    expect(status.listenerCount).toBe(1)
    queue.destroy()
    expect(status.listenerCount).toBe(0)
  })

  it('rejects with QueueFullError naming the limit and the fix; nothing queued is touched', async () => {
    const { executor } = scriptedExecutor()
    const storage = memoryStorage()
    const queue = createQueue({ executor, storage, maxSize: 3, autoFlush: false, ports: testPorts() })
    for (let index = 0; index < 3; index++) await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: `r${index}` }] })
    const error = await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'r4' }] }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(QueueFullError)
    expect(error).toMatchObject({ code: 'QUEUE_FULL', limit: 3 })
    expect((error as Error).message).toMatch(/maxSize: 3.*createQueue\(\{ maxSize: 6 \}\)/s)
    expect((await storage.readAll('default')).size).toBe(3)
    expect(await queue.flush()).toEqual({ sent: 3, failed: 0, pending: 0 })
    queue.destroy()
  })

  it('surfaces a storage failure (quota) as STORAGE_FAILED: the write is not queued, the others are intact', async () => {
    const inner = memoryStorage()
    let full = false
    const storage: QueueStorage = { ...inner, description: 'quota-test', write: (scope, key, text) => (full ? Promise.reject(new DOMException('quota exceeded', 'QuotaExceededError')) : inner.write(scope, key, text)) }
    const errors: QueueError[] = []
    const { executor } = scriptedExecutor()
    const queue = createQueue({ executor, storage, autoFlush: false, ports: testPorts(), onError: (error) => errors.push(error) })
    await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    full = true
    const error = await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'b' }] }).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'STORAGE_FAILED' })
    expect((error as Error).message).toMatch(/quota exceeded.*NOT queued/)
    expect(queue.status.get()).toMatchObject({ pending: 1, lastError: { code: 'STORAGE_FAILED' } })
    expect(errors).toHaveLength(1)
    queue.destroy()
  })

  it('quarantines a corrupted stored entry with an error, and the rest still flush', async () => {
    const storage = memoryStorage()
    const { executor: first } = scriptedExecutor()
    const writer = createQueue({ executor: first, storage, autoFlush: false, ports: testPorts() })
    const a = await writer.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    await writer.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'b' }] })
    writer.destroy()
    const text = (await storage.readAll('default')).get(a.id)!
    await storage.write('default', a.id, text.replace('\\"a\\"', '\\"x\\"')) // altered: checksum mismatch
    await storage.write('default', 'garbage', '{"v":1,"sum":"0') // truncated
    const errors: QueueError[] = []
    const { executor, requests } = scriptedExecutor()
    const queue = createQueue({ executor, storage, ports: testPorts(), onError: (error) => errors.push(error) })
    await queue.flush()
    expect(requests).toHaveLength(1)
    expect((requests[0]!.request as unknown as { rows: { id: string }[] }).rows.map((row) => row.id)).toEqual(['b'])
    expect(errors.map((error) => error.code).sort()).toEqual(['CORRUPT_ENTRY', 'CORRUPT_ENTRY'])
    expect(queue.failed.get().map((letter) => [letter.id, letter.description, letter.reason.code])).toEqual(
      expect.arrayContaining([
        [a.id, 'corrupt entry', 'CORRUPT_ENTRY'],
        ['garbage', 'corrupt entry', 'CORRUPT_ENTRY'],
      ]),
    )
    expect(queue.failed.get()[0]!.reason.message).toMatch(/checksum mismatch|not JSON/)
    // Quarantined means kept: still in storage until discarded.
    expect((await storage.readAll('default')).size).toBe(2)
    await expect(queue.retry('garbage')).rejects.toMatchObject({ code: 'CORRUPT_ENTRY' })
    await queue.discard('garbage')
    await queue.discard(a.id)
    expect((await storage.readAll('default')).size).toBe(0)
    expect(queue.status.get().failed).toBe(0)
    queue.destroy()
  })

  it('keeps namespaces apart: one never sees, replays or clears another', async () => {
    const storage = memoryStorage()
    const alice = scriptedExecutor()
    const aliceQueue = createQueue({ executor: alice.executor, storage, namespace: 'alice', autoFlush: false, ports: testPorts() })
    await aliceQueue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    const bob = scriptedExecutor()
    const bobQueue = createQueue({ executor: bob.executor, storage, namespace: 'bob', ports: testPorts() })
    await bobQueue.flush()
    await bobQueue.clear()
    expect(bob.requests).toHaveLength(0)
    expect(bobQueue.status.get().pending).toBe(0)
    expect(aliceQueue.status.get().pending).toBe(1)
    expect(() => createQueue({ executor: bob.executor, storage, namespace: 'alice', ports: testPorts() })).toThrow(QueueError)
    await aliceQueue.flush()
    expect(alice.requests).toHaveLength(1)
    aliceQueue.destroy()
    bobQueue.destroy()
  })

  it("persist: 'session' writes nothing to storage and is gone after close", async () => {
    const storage = memoryStorage()
    const { executor } = scriptedExecutor()
    const queue = createQueue({ executor, storage, persist: 'session', autoFlush: false, ports: testPorts() })
    await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    expect(queue.status.get().pending).toBe(1)
    expect((await storage.readAll('default')).size).toBe(0)
    queue.destroy()
    const next = createQueue({ executor, storage, persist: 'session', ports: testPorts() })
    await next.ready
    expect(next.status.get().pending).toBe(0)
    next.destroy()
  })

  it('persists in IndexedDB (idb-keyval, fake-indexeddb) and replays after a restart', async () => {
    const storage = indexedDbStorage({ name: 'outbox-test' })
    const { executor } = scriptedExecutor()
    const first = createQueue({ executor, storage, namespace: 'u1', autoFlush: false, ports: testPorts() })
    await first.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    first.destroy()
    const again = scriptedExecutor()
    const second = createQueue({ executor: again.executor, storage: indexedDbStorage({ name: 'outbox-test' }), namespace: 'u1', ports: testPorts() })
    await second.ready
    expect(second.status.get().pending).toBe(1)
    await second.flush()
    expect(again.requests).toHaveLength(1)
    expect((await storage.readAll('u1')).size).toBe(0)
    second.destroy()
  })

  it('rejects malformed writes with INVALID_OPERATION', async () => {
    const { executor } = scriptedExecutor()
    const queue = createQueue({ executor, storage: memoryStorage(), ports: testPorts() })
    await expect(queue.enqueue({ table: 't', type: 'update', values: { a: 1 }, match: {} })).rejects.toMatchObject({ code: 'INVALID_OPERATION' })
    await expect(queue.enqueue({ table: 't', type: 'upsert', rows: [] })).rejects.toMatchObject({ code: 'INVALID_OPERATION' })
    await expect(queue.enqueue({ table: 't', type: 'delete', match: { id: null as never } })).rejects.toThrow(/match.id/)
    queue.destroy()
  })

  it('releases every timer and listener on destroy, and aborts in-flight requests', async () => {
    const ports = testPorts()
    let seenSignal: AbortSignal | undefined
    const executor = { execute: (_request: QueueRequest, signal: AbortSignal) => ((seenSignal = signal), new Promise<void>(() => undefined)) }
    const queue = createQueue({ executor, storage: memoryStorage(), ports, requestTimeoutMs: 60_000 })
    await queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'a' }] })
    await waitFor(() => seenSignal, 2000, 'the request')
    expect(queue.diagnostics()).toEqual({ timers: 1, listeners: 2, inflight: 1 })
    const flushed = queue.flush()
    queue.destroy()
    await expect(flushed).rejects.toMatchObject({ code: 'DESTROYED' })
    expect(seenSignal!.aborted).toBe(true)
    expect(queue.diagnostics()).toEqual({ timers: 0, listeners: 0, inflight: 0 })
    expect(ports.timers.active).toBe(0)
    await expect(queue.enqueue({ table: 't', type: 'upsert', rows: [{ id: 'b' }] })).rejects.toMatchObject({ code: 'DESTROYED' })
  })

  it('has a state table that refuses impossible moves', () => {
    expect(transition('pending', 'send')).toBe('inflight')
    expect(transition('inflight', 'succeeded')).toBe('sent')
    expect(transition('sent', 'removed')).toBe('done')
    expect(transition('retrying', 'rejected')).toBe('dead')
    expect(() => transition('dead', 'send')).toThrow(/no transition/)
  })
})
