/**
 * The queue in sync.inspect() (issue #17 point 1): a queue given `sync` (a real supasync instance over the fake
 * realtime client) shows its pending writes with their state and age and its dead letters with their reason, never
 * a row value nor Postgres' details; the instance's inspectActions retry and discard its dead letters; it leaves the
 * snapshot with the queue (and with the instance).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { InspectQueue, Supasync } from '@supasync/core'
import { fakeSupasync, flush } from '../../core/test/fakeRealtime.js'
import { createQueue, memoryStorage, RequestFailure, type Queue } from '../src/index.js'
import { scriptedExecutor, testPorts } from './helpers.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function setup(script: Parameters<typeof scriptedExecutor>[0] = []) {
  const { sync } = fakeSupasync()
  const { executor, requests } = scriptedExecutor(script)
  const queue = createQueue({ executor, storage: memoryStorage(), autoFlush: false, ports: testPorts(), sync, namespace: 'site-7', retry: { retries: 0 } })
  cleanups.push(() => sync.destroy(), () => queue.destroy())
  return { sync, queue, requests }
}

const queueOf = (sync: Supasync): InspectQueue => {
  const queues = sync.inspect().queues
  expect(queues).toHaveLength(1)
  return queues[0]!
}

const refusal = () =>
  new RequestFailure({ status: 400, message: 'new row violates check constraint "milestone_known"', pgCode: '23514', details: 'Failing row contains (7, secret-row-value).', hint: 'secret-hint' })
const quotingRefusal = () => new RequestFailure({ status: 400, message: 'invalid input value for enum milestone: "secret-row-value"', pgCode: '22P02' })

describe('queues in sync.inspect()', () => {
  it('shows the pending writes with their state, attempts and age, without their values', async () => {
    const { sync, queue } = setup()
    await queue.ready
    expect(queueOf(sync)).toEqual({
      id: expect.stringMatching(/^queue-\d+$/),
      name: 'site-7',
      storage: expect.any(String),
      pending: 0,
      failed: 0,
      flushing: false,
      oldestPendingAt: undefined,
      pendingWrites: [],
      deadLetters: [],
      lastError: undefined,
    } satisfies InspectQueue)
    const before = Date.now()
    const first = await queue.enqueue({ table: 'components', type: 'upsert', rows: [{ id: 'c-1', tag: 'secret-row-value' }, { id: 'c-2', tag: 'secret-row-value' }] })
    await queue.enqueue({ rpc: 'advance_milestone', args: { request: 'secret-arg' } })
    const entry = queueOf(sync)
    expect(entry).toMatchObject({ pending: 2, failed: 0, oldestPendingAt: expect.any(Number) })
    expect(entry.oldestPendingAt).toBeGreaterThanOrEqual(before)
    expect(entry.pendingWrites).toEqual([
      { id: first.id, description: 'upsert components (2 rows)', kind: 'upsert', target: 'components', rowCount: 2, attempts: 0, enqueuedAt: entry.oldestPendingAt, state: 'pending' },
      { id: expect.any(String), description: 'rpc advance_milestone', kind: 'rpc', target: 'advance_milestone', rowCount: undefined, attempts: 0, enqueuedAt: expect.any(Number), state: 'pending' },
    ])
    expect(JSON.stringify(sync.inspect())).not.toMatch(/secret-(row-value|arg)/)
  })

  it('keeps the snapshot while the queue is quiet, and rebuilds it after a change', async () => {
    const { sync, queue } = setup()
    await queue.enqueue({ table: 'components', type: 'insert', rows: [{ id: 'c-1' }] })
    const quiet = sync.inspect()
    await flush()
    expect(sync.inspect()).toBe(quiet)
    const listener = vi.fn()
    sync.subscribeInspect(listener)
    await queue.flush()
    expect(listener).toHaveBeenCalled()
    const after = sync.inspect()
    expect(after).not.toBe(quiet)
    expect(after.queues[0]).toMatchObject({ pending: 0, pendingWrites: [], flushing: false })
  })

  it("shows a dead letter with the queue's reason and no details or hint, and retries or discards it through inspectActions", async () => {
    const { sync, queue, requests } = setup([refusal, () => undefined, quotingRefusal])
    const write = await queue.enqueue({ table: 'components', type: 'update', values: { milestone: 'secret-row-value' }, match: { id: 'c-7' } })
    await queue.flush()
    const entry = queueOf(sync)
    expect(entry).toMatchObject({ pending: 0, failed: 1, lastError: { code: 'REJECTED', status: 400, pgCode: '23514' } })
    expect(entry.deadLetters).toEqual([
      {
        id: write.id,
        description: 'update components where {"id":"c-7"}',
        kind: 'update',
        target: 'components',
        rowCount: undefined,
        attempts: 1,
        enqueuedAt: expect.any(Number),
        reason: { code: 'REJECTED', message: expect.stringContaining('milestone_known'), status: 400, pgCode: '23514', at: expect.any(Number) },
      },
    ])
    expect(JSON.stringify(sync.inspect())).not.toMatch(/secret-(row-value|hint)|Failing row/)

    await sync.inspectActions.retryDeadLetter(entry.id, write.id)
    await queue.flush()
    expect(requests).toHaveLength(2)
    expect(queueOf(sync)).toMatchObject({ pending: 0, failed: 0, deadLetters: [], lastError: undefined })

    const second = await queue.enqueue({ table: 'components', type: 'delete', match: { id: 'c-8' } })
    await queue.flush()
    expect(queueOf(sync).deadLetters.map((letter) => [letter.id, letter.reason.message])).toEqual([[second.id, 'invalid input value for enum milestone: "…"']])
    expect(JSON.stringify(sync.inspect())).not.toContain('secret-row-value')
    await sync.inspectActions.discardDeadLetter(entry.id, second.id)
    expect(queueOf(sync)).toMatchObject({ failed: 0, deadLetters: [] })
    await expect(sync.inspectActions.discardDeadLetter(entry.id, second.id)).rejects.toMatchObject({ code: 'UNKNOWN_ENTRY' })
  })

  it('leaves the snapshot with the queue, and a queue outlives the instance it was shown on', async () => {
    const { sync, queue } = setup()
    const other: Queue = createQueue({ executor: scriptedExecutor().executor, storage: memoryStorage(), autoFlush: false, ports: testPorts(), sync, namespace: 'other' })
    expect(sync.inspect().queues.map((entry) => entry.name)).toEqual(['site-7', 'other'])
    other.destroy()
    expect(sync.inspect().queues.map((entry) => entry.name)).toEqual(['site-7'])
    expect(other.diagnostics()).toEqual({ timers: 0, listeners: 0, inflight: 0 })
    await sync.destroy()
    expect(sync.inspect().queues).toEqual([])
    expect(sync.diagnostics().inspectRegistrations).toBe(0)
    await queue.enqueue({ table: 'components', type: 'insert', rows: [{ id: 'c-1' }] })
    expect(queue.status.get().pending).toBe(1)
    queue.destroy()
    expect(queue.diagnostics()).toEqual({ timers: 0, listeners: 0, inflight: 0 })
  })
})
