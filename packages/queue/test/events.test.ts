/**
 * The queue's side of sync.onEvent (issue #17): a finished flush and each dead letter, without row data.
 */
import { createStore, type SupasyncEventInput } from '@supasync/core'
import { describe, expect, it } from 'vitest'
import { createQueue, memoryStorage, RequestFailure } from '../src/index.js'
import { scriptedExecutor, testPorts } from './helpers.js'

function fakeSync(active = true) {
  const events: SupasyncEventInput[] = []
  return { events, sync: { status: createStore({ state: 'live' }), eventsActive: active, emitEvent: (event: SupasyncEventInput) => events.push(event) } }
}

describe('queue events', () => {
  it('reports one queue-flush per busy period and a dead-letter with its reason, never the rows', async () => {
    // Postgres quotes the refused value: the event must not (row data), while the message the app gets does.
    const refused = () => new RequestFailure({ status: 400, message: 'invalid input syntax for type integer: "row-data-3"', pgCode: '22P02' })
    const { executor } = scriptedExecutor([() => undefined, refused])
    const { events, sync } = fakeSync()
    const queue = createQueue({ executor, storage: memoryStorage(), autoFlush: false, ports: testPorts(), sync, namespace: 'site' })
    await queue.enqueue({ table: 'components', type: 'upsert', rows: [{ milestone: 'welded', secret: 'row-data-1' }] })
    await queue.flush()
    expect(events).toEqual([{ type: 'queue-flush', queue: 'site', sent: 1, remaining: 0, ms: expect.any(Number) }])
    await queue.enqueue({ table: 'notes', type: 'insert', rows: [{ body: 'row-data-2' }] })
    await queue.flush()
    const dead = queue.failed.get()[0]!
    expect(events.slice(1)).toEqual([
      { type: 'dead-letter', queue: 'site', id: dead.id, table: 'notes', reason: expect.stringContaining('invalid input syntax for type integer: "…"'), status: 400, pgCode: '22P02' },
      { type: 'queue-flush', queue: 'site', sent: 0, remaining: 0, ms: expect.any(Number) },
    ])
    expect(JSON.stringify(events)).not.toMatch(/row-data/)
    expect(dead.reason.message).toContain('row-data-3')
    queue.destroy()
  })

  it('builds no event while nobody listens', async () => {
    const { executor } = scriptedExecutor()
    const { events, sync } = fakeSync(false)
    const queue = createQueue({ executor, storage: memoryStorage(), autoFlush: false, ports: testPorts(), sync })
    await queue.enqueue({ table: 'components', type: 'upsert', rows: [{ milestone: 'welded' }] })
    await queue.flush()
    expect(events).toEqual([])
    queue.destroy()
  })
})
