// @vitest-environment happy-dom
/**
 * A component tree on the local stack (real Postgres, PostgREST and our Realtime server) with the unmodified
 * supabase-js: it mounts under StrictMode, sees writes made through PostgREST, survives faults, and gives everything
 * back when it unmounts.
 */
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { act, cleanup, render } from '@testing-library/react'
import { StrictMode } from 'react'
import { startLocalStack, type LocalStack } from '@supasync/local'
import { createSupasync, type Supasync } from '@supasync/core'
import { SupasyncProvider, useChannel, useChanges, useConnectionStatus, useLiveTable, usePresence } from '../src/index.js'
import { waitFor } from '../../local/test/helpers.js'

const MIGRATION = readFileSync(join(import.meta.dirname, '../../polling/sql/supasync-polling.sql'), 'utf8')
const ANN = 'a0000000-0000-4000-8000-0000000000a1'
const BEN = 'b0000000-0000-4000-8000-0000000000b1'
const SCHEMA = `
create table public.components (
  id bigint primary key, project_id bigint not null, owner uuid, milestone text not null default 'not_started',
  updated_at timestamptz not null default now());
alter table public.components enable row level security;
create policy everyone_reads on public.components for select to anon, authenticated using (owner is null or owner = auth.uid());
create policy anyone_writes on public.components for update to anon, authenticated using (true);
grant select, update on public.components to anon, authenticated;
select supasync.enable_polling('public.components');
alter publication supabase_realtime add table public.components;
insert into public.components (id, project_id) select g, 1 + (g % 2) from generate_series(1, 20) g;
insert into public.components (id, project_id, owner) values (101, 1, '${ANN}'), (102, 1, '${ANN}'), (201, 1, '${BEN}');
`
const BUDGET_MS = 3000

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack({ sql: [MIGRATION, SCHEMA] })
})
const open: Supasync[] = []
const track = (sync: Supasync) => (open.push(sync), sync)
afterEach(async () => {
  cleanup()
  for (const sync of open.splice(0)) await sync.destroy()
  await stack.faults.reset()
})

/**
 * A write through PostgREST with Node's own HTTP client (the service role): happy-dom's fetch, which supabase-js
 * would use in this environment, drops PATCH requests.
 */
function patch(path: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body)
    const request = httpRequest(`${stack.url}/rest/v1/${path}`, {
      method: 'PATCH',
      headers: { apikey: stack.serviceRoleKey, authorization: `Bearer ${stack.serviceRoleKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
    }, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode ?? 0))
    })
    request.on('error', reject)
    request.end(text)
  })
}
afterAll(async () => {
  await stack?.stop()
})

type Component = { id: number; project_id: number; milestone: string; updated_at: string }

function Site({ project }: { project: number }) {
  const { rows, freshness } = useLiveTable<Component>({ table: 'components', filter: { project_id: project }, maxStalenessMs: BUDGET_MS })
  const { status } = useChannel(`site:${project}`)
  const presence = usePresence(`site:${project}`, { key: 'pm', state: { role: 'pm' } })
  useChanges({ table: 'components', filter: `project_id=eq.${project}`, event: 'UPDATE' }, () => {})
  const { state } = useConnectionStatus()
  const welded = [...rows.values()].filter((row) => row.milestone === 'welded').map((row) => row.id).sort((a, b) => a - b)
  return (
    <div>
      <p data-testid="rows">{rows.size}</p>
      <p data-testid="welded">{welded.join(',')}</p>
      <p data-testid="mode">{freshness.mode}</p>
      <p data-testid="room">{status}:{presence.status}:{state}</p>
    </div>
  )
}

function mount(sync: Supasync, project = 1) {
  const view = render(
    <StrictMode>
      <SupasyncProvider sync={sync}>
        <Site project={project} />
      </SupasyncProvider>
    </StrictMode>,
  )
  const text = (id: string) => view.getByTestId(id).textContent
  return { view, text }
}

const tick = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 20)))
/** Lets React and the network run until `check` holds, or fails after `timeoutMs` saying what was awaited. */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    await tick()
    if (check()) return
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
  }
}

describe('a React tree on the local stack', () => {
  it('mounts under StrictMode with one join per channel, shows PostgREST writes, survives faults, and gives everything back', async () => {
    const supabase = stack.createClient()
    const sync = track(createSupasync(supabase, { heartbeatIntervalMs: 1000, graceMs: 300 }))
    const joinsBefore = stack.realtime.stats.joins
    const { view, text } = mount(sync)
    await until(() => text('rows') === '10' && text('mode') === 'realtime' && text('room')!.startsWith('joined:joined:live'), 10_000, 'loaded and live')
    // StrictMode mounted everything twice: still one join per channel the instance holds (plus one per channel for
    // each reconnect, should a slow machine have missed a heartbeat answer).
    const reconnects = sync.metrics().counters.heartbeatTimeouts
    const joins = stack.realtime.stats.joins - joinsBefore
    if (reconnects === 0) expect(joins).toBe(sync.diagnostics().channels)
    else expect(joins).toBeLessThanOrEqual(sync.diagnostics().channels * (1 + reconnects))

    const write = async (id: number) => {
      expect(await patch(`components?id=eq.${id}`, { milestone: 'welded' })).toBe(204)
      return Date.now()
    }
    let at = await write(2)
    await until(() => text('welded') === '2', BUDGET_MS, 'a write through PostgREST, by realtime')
    expect(Date.now() - at).toBeLessThan(BUDGET_MS)

    stack.faults.dropConnections()
    at = await write(4)
    await until(() => text('welded') === '2,4', BUDGET_MS, 'a write while the sockets were dropped')
    expect(Date.now() - at).toBeLessThan(BUDGET_MS)

    stack.faults.blackholeHeartbeats(true)
    await until(() => text('mode') !== 'realtime', 5000, 'the silent socket noticed')
    at = await write(6)
    await until(() => text('welded') === '2,4,6', BUDGET_MS, 'a write while the socket was silent')
    expect(Date.now() - at).toBeLessThan(BUDGET_MS)
    stack.faults.blackholeHeartbeats(false)
    await until(() => text('mode') === 'realtime', 10_000, 'realtime again')

    view.unmount()
    // After the grace period: no channel, lease, shared table, listener or timer; the socket supasync opened is closed.
    await waitFor(() => {
      const counts = sync.diagnostics()
      return counts.channels === 0 && counts.shared === 0 && counts.timers === 0 && !supabase.realtime.isConnected()
    }, 5000, 'everything released')
    expect(sync.diagnostics()).toMatchObject({ rooms: 0, roomHolders: 0, roomListeners: 0, changeBindings: 0, changeLeases: 0, channels: 0, timers: 0, shared: 0 })
    expect(supabase.realtime.getChannels()).toHaveLength(0)
    await sync.destroy()
  }, 60_000)

  it('joins with the user\'s token while the session is still being restored, and follows a switch of user', async () => {
    let token = stack.signJwt({ sub: ANN, role: 'authenticated', exp: Math.floor(Date.now() / 1000) + 3600 })
    // The token source answers late, as a session restored from storage does.
    const supabase = stack.createClient({ accessToken: () => new Promise<string>((resolve) => setTimeout(() => resolve(token), 200)) })
    const sync = track(createSupasync(supabase, { heartbeatIntervalMs: 300 }))
    const claims = () => [...stack.realtime.sockets].flatMap((socket) => [...socket.channels.values()].map((session) => session.claims.sub ?? 'anon'))
    const { view, text } = mount(sync)
    await until(() => text('rows') === '12' && claims().length > 0, 10_000, 'loaded as Ann')
    // Every join the server saw carried Ann's token: none went out as anon while the token was on its way.
    expect(claims().every((sub) => sub === ANN)).toBe(true)
    token = stack.signJwt({ sub: BEN, role: 'authenticated', exp: Math.floor(Date.now() / 1000) + 3600 })
    await until(() => claims().length > 0 && claims().every((sub) => sub === BEN), 5000, 'the server holds Ben\'s token')
    // Ann's two rows leave, Ben's one arrives, though none of them was written.
    await until(() => text('rows') === '11', BUDGET_MS + 2000, 'Ben\'s rows')
    view.unmount()
    await sync.destroy()
  }, 60_000)
})
