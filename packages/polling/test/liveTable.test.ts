import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startLocalStack, type LocalStack } from '@supasync/local'
import { MIGRATION, observe, SCHEMA, waitFor, type Observer } from './harness.js'

let stack: LocalStack
const open: Observer[] = []

beforeAll(async () => {
  stack = await startLocalStack({ sql: [MIGRATION, SCHEMA] })
})
afterEach(async () => {
  await stack.faults.reset()
  for (const observer of open.splice(0)) await observer.close()
})
afterAll(async () => {
  await stack?.stop()
})

function track(observer: Observer): Observer {
  open.push(observer)
  return observer
}

describe('createLiveTable on the local stack', () => {
  it('loads the filtered rows, follows realtime and reaches mode realtime', async () => {
    const a = track(observe(stack, { filter: { project_id: 1 } }))
    await a.live.ready
    expect(a.live.rows.get().size).toBe(20)
    expect([...a.live.rows.get().values()].every((row) => Number(row.project_id) === 1)).toBe(true)
    await waitFor(() => a.live.freshness.get().mode === 'realtime', 5000, 'mode realtime')
    const { rows } = await stack.query<{ id: string }>(`update components set milestone = 'welded' where id = 2 returning id`)
    expect(rows).toHaveLength(1)
    await waitFor(() => a.live.get(2)?.milestone === 'welded', 2000, 'realtime update')
    expect(a.live.get(1)).toBeUndefined() // project 2
    expect(a.live.stats().applied.realtime).toBeGreaterThanOrEqual(1)
  })

  it('polls while Realtime is stopped: updates, inserts, hard deletes and soft deletes arrive within the budget', async () => {
    const a = track(observe(stack, { filter: { project_id: 1 } }))
    const notes = track(observe(stack, { table: 'notes', softDeleteColumn: 'deleted_at', filter: { project_id: 1 } }))
    await Promise.all([a.live.ready, notes.live.ready])
    await waitFor(() => a.live.freshness.get().mode === 'realtime' && notes.live.freshness.get().mode === 'realtime', 5000, 'realtime')
    await stack.faults.stopRealtime()
    await waitFor(() => a.live.freshness.get().mode === 'polling', 4000, 'mode polling')
    const started = Date.now()
    await stack.query(`update components set milestone = 'tested' where id = 4`)
    const inserted = await stack.query<{ id: string }>(`insert into components (project_id, tag) values (1, 'NEW') returning id`)
    await stack.query(`delete from components where id = 6`)
    await stack.query(`update notes set deleted_at = now() where id = 3`)
    await stack.query(`delete from notes where id = 5`)
    const newId = inserted.rows[0]!.id
    await waitFor(() => a.live.get(4)?.milestone === 'tested' && a.live.get(newId) && !a.live.get(6) && !notes.live.get(3) && !notes.live.get(5), 3000, 'all five changes')
    expect(Date.now() - started).toBeLessThan(3000)
    expect(a.live.stats().applied.realtime).toBe(0)
    expect(notes.live.rows.get().size).toBe(8)
    expect(a.errors).toEqual([])
  })
})
