// @vitest-environment happy-dom
/**
 * The panel on a real supasync instance (issue #17): the unmodified supabase-js against the local stack (Postgres,
 * PostgREST, our Realtime server), with a live table, a room with presence, a changes subscription and an offline
 * queue registered with the instance. The panel's default ports (animation frames, a 1 s redraw) and `sync` itself
 * as its source: every tab shows what the instance holds, Retry / Discard act on the real queue, nothing secret
 * reaches the DOM, and unmounting then destroying leaves no listener and an empty snapshot.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalStack, type LocalStack } from '@supasync/local'
import { createSupasync } from '@supasync/core'
import { createLiveTable } from '@supasync/polling'
import { createPresence } from '@supasync/presence'
import { createQueue, memoryStorage, RequestFailure, type QueueExecutor } from '@supasync/queue'
import { mountDevtools } from '../src/mountDevtools.js'
import { deadLetterKey } from '../src/PanelState.js'
import { click, shadowOf, text } from './fakes.js'
import { until } from './until.js'

const MIGRATION = readFileSync(join(import.meta.dirname, '../../polling/sql/supasync-polling.sql'), 'utf8')
const SCHEMA = `
create table public.components (
  id bigint primary key, project_id bigint not null, tag text not null default '',
  updated_at timestamptz not null default now());
grant select on public.components to anon, authenticated;
select supasync.enable_polling('public.components');
alter publication supabase_realtime add table public.components;
insert into public.components (id, project_id, tag) select g, 1 + (g % 2), 'secret-tag-' || g from generate_series(1, 40) g;
`

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack({ sql: [MIGRATION, SCHEMA] })
})
afterAll(async () => {
  await stack?.stop()
})

/** PostgREST's answer to a write naming a column the table does not have (the queue makes it a dead letter). */
const refusing: QueueExecutor = {
  async execute() {
    throw new RequestFailure({ status: 400, message: "Could not find the 'colour' column of 'components' in the schema cache", pgCode: 'PGRST204', details: 'Failing row contains (secret-row-value)' })
  },
}

describe('the panel on a real supasync instance', () => {
  it('shows the connection, channels, live table, queue and presence, acts on dead letters, and leaves nothing behind', async () => {
    const supabase = stack.createClient()
    const sync = createSupasync(supabase, { onError: () => undefined })
    const table = createLiveTable(sync, { table: 'components', filter: { project_id: 1 }, maxStalenessMs: 3000, onError: () => undefined })
    await table.ready
    const room = createPresence(sync, 'site:1', { key: 'pm', state: { phone: 'secret-phone' } })
    const lease = sync.changes({ table: 'components', filter: 'project_id=eq.2', event: 'UPDATE' }, () => undefined)
    const queue = createQueue({ executor: refusing, storage: memoryStorage(), sync, namespace: 'site-1', autoFlush: false, retry: { retries: 0 } })
    const write = await queue.enqueue({ table: 'components', type: 'insert', rows: [{ id: 999, project_id: 1, colour: 'secret-row-value' }] })
    await queue.flush()
    expect(queue.failed.get()).toHaveLength(1)

    const host = document.body.appendChild(document.createElement('div'))
    const unmount = mountDevtools(host, sync, { initialIsOpen: true })
    expect(sync.diagnostics().inspectListeners).toBe(1)
    await until('the connection to show live', () => text(host).includes('live for'), { timeoutMs: 15_000 })

    click(host, 'tab:channels')
    await until('both channels', () => text(host).includes('site:1') && text(host).includes('supasync:'))
    expect(text(host)).toContain('project_id=eq.2')

    click(host, 'tab:liveTables')
    const cells = () => Array.from(shadowOf(host).querySelectorAll('td'), (cell) => cell.textContent)
    await until('the live table with its 20 rows', () => text(host).includes('public.components') && cells().includes('20'))
    await until('realtime mode', () => text(host).includes('realtime'), { timeoutMs: 15_000 })

    click(host, 'tab:presence')
    await until('this client in the room', () => text(host).includes('site:1') && text(host).includes('pm'))

    click(host, 'tab:queue')
    await until('the dead letter', () => shadowOf(host).querySelectorAll('.dead-letter').length === 1 && text(host).includes('PGRST204'))
    const queueId = sync.inspect().queues[0]!.id
    const key = deadLetterKey(queueId, write.id)
    click(host, `discard:${key}`)
    click(host, `confirm-discard:${key}`)
    await until('the real queue to drop it', () => queue.failed.get().length === 0)
    // The queue's last error stays until a request succeeds; the dead letter itself is gone from the list.
    await until('the panel to show it gone', () => shadowOf(host).querySelectorAll('.dead-letter').length === 0)

    // Nothing of the rows, the presence state, the write's values, Postgres' details or the token reached the DOM.
    const html = shadowOf(host).innerHTML
    expect(html).not.toMatch(/secret-(tag|phone|row-value)|Failing row/)
    expect(html).not.toContain(stack.anonKey)

    unmount()
    expect(sync.diagnostics().inspectListeners).toBe(0)
    expect(shadowOf(host).childNodes).toHaveLength(0)
    room.leave()
    lease.release()
    table.destroy()
    queue.destroy()
    await sync.destroy()
    const after = sync.inspect()
    expect(after).toMatchObject({ channels: [], liveTables: [], queues: [], presence: [], connection: { channels: 0, leases: 0 } })
    expect(sync.diagnostics()).toMatchObject({ inspectListeners: 0, inspectRegistrations: 0, rooms: 0, channels: 0, timers: 0, shared: 0 })
    await supabase.removeAllChannels()
  }, 60_000)
})
