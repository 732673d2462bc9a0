import 'fake-indexeddb/auto'
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { observe, useStack, waitFor, type ComponentRow, type Observer } from './harness.js'

const local = useStack()

const track = (observer: Observer) => local.track(observer)

describe('createLiveTable on the local stack', () => {
  it('loads the filtered rows, follows realtime and reaches mode realtime', async () => {
    const a = track(observe(local.stack, { filter: { project_id: 1 } }))
    await a.live.ready
    expect(a.live.rows.get().size).toBe(20)
    expect([...a.live.rows.get().values()].every((row) => Number(row.project_id) === 1)).toBe(true)
    await waitFor(() => a.live.freshness.get().mode === 'realtime', 5000, 'mode realtime')
    const { rows } = await local.stack.query<{ id: string }>(`update components set milestone = 'welded' where id = 2 returning id`)
    expect(rows).toHaveLength(1)
    await waitFor(() => a.live.get(2)?.milestone === 'welded', 2000, 'realtime update')
    expect(a.live.get(1)).toBeUndefined() // project 2
    expect(a.live.stats().applied.realtime).toBeGreaterThanOrEqual(1)
  })

  it('polls while Realtime is stopped: updates, inserts, hard deletes and soft deletes arrive within the budget', async () => {
    const a = track(observe(local.stack, { filter: { project_id: 1 } }))
    const notes = track(observe(local.stack, { table: 'notes', softDeleteColumn: 'deleted_at', filter: { project_id: 1 } }))
    await Promise.all([a.live.ready, notes.live.ready])
    await waitFor(() => a.live.freshness.get().mode === 'realtime' && notes.live.freshness.get().mode === 'realtime', 5000, 'realtime')
    await local.stack.faults.stopRealtime()
    await waitFor(() => a.live.freshness.get().mode === 'polling', 4000, 'mode polling')
    const started = Date.now()
    await local.stack.query(`update components set milestone = 'tested' where id = 4`)
    const inserted = await local.stack.query<{ id: string }>(`insert into components (project_id, tag) values (1, 'NEW') returning id`)
    await local.stack.query(`delete from components where id = 6`)
    await local.stack.query(`update notes set deleted_at = now() where id = 3`)
    await local.stack.query(`delete from notes where id = 5`)
    const newId = inserted.rows[0]!.id
    await waitFor(() => a.live.get(4)?.milestone === 'tested' && a.live.get(newId) && !a.live.get(6) && !notes.live.get(3) && !notes.live.get(5), 3000, 'all five changes')
    expect(Date.now() - started).toBeLessThan(3000)
    expect(a.live.stats().applied.realtime).toBe(0)
    expect(notes.live.rows.get().size).toBe(8)
    expect(a.errors).toEqual([])
  })

  it('is offline when neither Realtime nor PostgREST answers, keeps counting staleness, and catches up after', async () => {
    const a = track(observe(local.stack, { filter: { project_id: 1 } }))
    await a.live.ready
    await waitFor(() => a.live.freshness.get().mode === 'realtime', 5000, 'realtime')
    await local.stack.faults.stopRealtime()
    local.stack.faults.stopRest()
    await waitFor(() => a.live.freshness.get().mode === 'offline', 5000, 'mode offline')
    const offlineStaleness = a.live.freshness.get().stalenessMs
    await local.stack.query(`update components set milestone = 'delivered' where id = 8`)
    await waitFor(() => a.live.freshness.get().stalenessMs >= offlineStaleness + 1000, 3000, 'staleness keeps counting')
    expect(a.live.freshness.get().mode).toBe('offline')
    expect(a.live.freshness.get().error?.code).toBe('UNREACHABLE')
    expect(a.live.get(8)?.milestone).not.toBe('delivered')
    local.stack.faults.startRest()
    await waitFor(() => a.live.get(8)?.milestone === 'delivered', 3000, 'caught up through PostgREST')
    await waitFor(() => a.live.freshness.get().mode !== 'offline', 1000, 'online again')
    expect(a.live.freshness.get().stalenessMs).toBeLessThan(3000)
    await local.stack.faults.startRealtime()
    await waitFor(() => a.live.freshness.get().mode === 'realtime', 10_000, 'back to realtime')
  }, 30_000)

  it('shares one poll between live tables of one client: one read covers both filters', async () => {
    const reads: { url: string; body: string }[] = []
    const fetchSpy: typeof fetch = (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      if (url.includes('/rest/v1/')) reads.push({ url: decodeURIComponent(url), body: typeof init?.body === 'string' ? init.body : '' })
      return fetch(input, init)
    }
    const supabase = local.stack.createClient({ global: { fetch: fetchSpy } })
    const { createSupasync } = await import('@supasync/core')
    const { createLiveTable } = await import('../src/index.js')
    const sync = createSupasync(supabase, { heartbeatIntervalMs: 1000 })
    const one = createLiveTable<{ id: number; milestone: string }>(sync, { supabase, table: 'components', filter: { project_id: 1 }, maxStalenessMs: 3000 })
    const two = createLiveTable<{ id: number; milestone: string }>(sync, { supabase, table: 'components', filter: { project_id: 2 }, maxStalenessMs: 3000 })
    try {
      await Promise.all([one.ready, two.ready])
      await local.stack.faults.stopRealtime()
      reads.length = 0
      await local.stack.query(`update components set milestone = 'installed' where id in (10, 11)`)
      await waitFor(() => one.get(10)?.milestone === 'installed' && two.get(11)?.milestone === 'installed', 3000, 'both filters polled')
      // Separate polls would read each filter on its own; a shared one reads both in its one request
      // (public.supasync_poll). Every poll sent after the reads were cleared started after both tables joined.
      const polls = () => reads.filter((read) => read.url.includes('/rpc/supasync_poll')).map((read) => JSON.parse(read.body) as { filters: unknown })
      await waitFor(() => polls().length >= 2, 3000, 'two polls')
      // In the order the tables joined (whichever loaded first).
      for (const poll of polls()) expect(new Set(poll.filters as unknown[])).toEqual(new Set([{ project_id: '1' }, { project_id: '2' }]))
      // Nothing else polls: no reads of whole rows by filter besides the shared request (key sweeps read keys only).
      expect(reads.filter((read) => read.url.includes('/rest/v1/components') && read.url.includes('select=*') && read.url.includes('updated_at.gte'))).toEqual([])
      expect(one.get(11)).toBeUndefined()
      expect(two.get(10)).toBeUndefined()
    } finally {
      one.destroy()
      two.destroy()
      await sync.destroy()
      await supabase.removeAllChannels()
    }
  })

  it('reloads everything after a gap longer than resyncAfterMs: deletions whose tombstones were pruned still leave', async () => {
    const a = track(observe(local.stack, { filter: { project_id: 1 }, resyncAfterMs: 2000 }))
    await a.live.ready
    expect(a.live.get(12)).toBeDefined()
    await local.stack.faults.stopRealtime()
    local.stack.faults.stopRest()
    await local.stack.query('delete from components where id = 12')
    await local.stack.query(`select supasync.prune_tombstones('0 seconds')`)
    const { rows: left } = await local.stack.query(`select 1 from supasync.tombstones where table_name = 'components'`)
    expect(left).toHaveLength(0)
    await waitFor(() => a.live.freshness.get().stalenessMs > 2500, 5000, 'a gap longer than resyncAfterMs')
    local.stack.faults.startRest()
    await waitFor(() => a.live.get(12) === undefined, 3000, 'row 12 dropped by the full reload')
    const { rows } = await local.stack.query<{ id: string }>('select id from components where project_id = 1')
    expect(new Set(a.live.rows.get().keys())).toEqual(new Set(rows.map((row) => String(row.id))))
  }, 20_000)

  it('pages rows and tombstones through the real PostgREST (pageSize 2: keyset clauses on the cursor, the key and row_key)', async () => {
    const a = track(observe(local.stack, { filter: { project_id: 2 }, pageSize: 2 }))
    await a.live.ready
    const { rows } = await local.stack.query<{ id: string }>('select id from components where project_id = 2')
    expect(a.live.rows.get().size).toBe(rows.length)
    await local.stack.faults.stopRealtime()
    // Five deletes in one statement and five updates: several pages each, under one poll.
    const doomed = rows.slice(0, 5).map((row) => Number(row.id))
    await local.stack.query('delete from components where id = any($1::bigint[])', [doomed])
    await local.stack.query(`update components set milestone = 'paged' where project_id = 2`)
    await waitFor(() => doomed.every((id) => a.live.get(id) === undefined) && [...a.live.rows.get().values()].every((row) => row.milestone === 'paged'), 3000, 'all pages applied')
    expect(a.live.rows.get().size).toBe(rows.length - 5)
    expect(a.errors).toEqual([])
  })

  it('a row whose filter column changed leaves the view: at the next poll with detectMovesOut, at the next key check without; with neither it stays', async () => {
    const follows = track(observe(local.stack, { filter: { project_id: 1 }, detectMovesOut: true, sweepIntervalMs: false }))
    const checked = track(observe(local.stack, { filter: { project_id: 1 } }))
    const plain = track(observe(local.stack, { filter: { project_id: 1 }, sweepIntervalMs: false }))
    await Promise.all([follows.live.ready, checked.live.ready, plain.live.ready])
    const { rows } = await local.stack.query<{ id: string }>('select id from components where project_id = 1 order by id limit 1')
    const moved = rows[0]!.id
    await local.stack.faults.stopRealtime()
    await local.stack.query('update components set project_id = 2 where id = $1', [moved])
    await waitFor(() => follows.live.get(moved) === undefined, 3000, 'the moved row leaves the view (detectMovesOut)')
    // Key checks (the default): the poll's key digest leaves the row out, the view holds it at its older version, and
    // the sweep that follows drops it: within the budget (3 s) plus a poll's round trip.
    await waitFor(() => checked.live.get(moved) === undefined, 5000, 'the moved row leaves the view (key check)')
    expect(checked.live.stats().sweep.digestMismatches).toBeGreaterThanOrEqual(1)
    await plain.live.refresh()
    expect(plain.live.get(moved)).toBeDefined() // the documented gap with neither
    await local.stack.query('update components set project_id = 1 where id = $1', [moved])
    await waitFor(() => follows.live.get(moved) !== undefined, 3000, 'and comes back when it moves back')
    await waitFor(() => checked.live.get(moved) !== undefined, 5000, 'and comes back when it moves back (key check)')
  })

  it('starts from the cache: rows and their age show before the network answers; the load then drops what was deleted', async () => {
    const { memoryCache } = await import('@supasync/cache')
    const cache = memoryCache<ComponentRow>({ maxEntries: 1000 })
    const first = track(observe(local.stack, { filter: { project_id: 1 }, cache }))
    await first.live.ready
    await waitFor(() => first.live.freshness.get().mode === 'realtime', 5000, 'realtime')
    // lastSyncedAt is saved with the rows (at most every 5 s; the first time right after the load).
    const rows = first.live.rows.get().size
    await first.close()
    await local.stack.faults.stopRealtime()
    local.stack.faults.stopRest()
    const gone = [...first.live.rows.get().keys()][0]!
    await local.stack.query('delete from components where id = $1', [gone])

    const second = track(observe(local.stack, { filter: { project_id: 1 }, cache }))
    await waitFor(() => second.live.rows.get().size === rows, 2000, 'rows restored from the cache')
    expect(second.live.stats().applied.cache).toBe(rows)
    await waitFor(() => second.live.freshness.get().mode === 'offline', 5000, 'offline')
    // The age counts from the first table's last sync, not from this table's creation.
    expect(second.live.freshness.get().lastSyncedAt).toBeDefined()
    local.stack.faults.startRest()
    await second.live.ready
    await waitFor(() => second.live.get(gone) === undefined, 3000, 'the deleted row dropped by the load')
    expect(second.live.rows.get().size).toBe(rows - 1)
  }, 20_000)
  it("keeps cached rows per user: bob's table opened offline on alice's cache shows none of her rows; sign-out clears hers only", async () => {
    const { indexedDbCache } = await import('@supasync/cache')
    const ALICE = 'a11ce000-0000-4000-8000-00000000000a'
    const BOB = 'b0b00000-0000-4000-8000-00000000000b'
    const as = (sub: string) => {
      const token = local.stack.signJwt({ sub, exp: Math.floor(Date.now() / 1000) + 3600 })
      return { accessToken: async () => token }
    }
    /** Waits for an async condition, bounded. */
    const until = async (check: () => Promise<boolean>, ms: number, what: string) => {
      const deadline = Date.now() + ms
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`)
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    }
    const cache = indexedDbCache<ComponentRow>({ name: `users-${randomUUID()}` })
    const cached = async (namespace: string) => (await cache.scoped(namespace).entries!()).filter((e) => !e.key.startsWith('\u0000')).length

    const alice = track(observe(local.stack, { filter: { project_id: 1 }, cache }, as(ALICE)))
    await alice.live.ready
    const rows = alice.live.rows.get().size
    expect(rows).toBeGreaterThan(0)
    await alice.close()
    // Wherever the table put them (a mirror without namespaces wrote to the default one): bob must not see them.
    await until(async () => (await cached(ALICE)) === rows || (await cached('default')) === rows, 3000, "alice's rows in the cache")

    await local.stack.faults.stopRealtime()
    local.stack.faults.stopRest()
    const bob = track(observe(local.stack, { filter: { project_id: 1 }, cache }, as(BOB)))
    await waitFor(() => bob.live.freshness.get().mode === 'offline', 5000, 'bob offline')
    expect(bob.live.rows.get().size).toBe(0)
    expect(bob.live.stats().applied.cache).toBe(0)
    expect(bob.visibleAt.size).toBe(0) // onChange never received one of alice's rows

    expect(await cached(ALICE)).toBe(rows)
    expect(await cached('default')).toBe(0)

    local.stack.faults.startRest()
    await bob.live.ready
    await until(async () => (await cached(BOB)) === rows, 3000, "bob's rows in his namespace")
    // Sign-out of alice: her namespace only.
    await cache.scoped(ALICE).clear()
    expect(await cached(ALICE)).toBe(0)
    expect(await cached(BOB)).toBe(rows)
    await bob.close()
    await cache.close()
  }, 20_000)
})
