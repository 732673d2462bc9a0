// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h, nextTick, ref, Suspense, watch } from 'vue'
import { createSupasync, type Supasync } from '@supasync/core'
import type { LiveTableOptions } from '@supasync/polling'
import { FakeRealtime } from '../../core/test/fakeRealtime.js'
import { FakeServer, manualClock, pgts, run, type Row } from '../../polling/test/fakes.js'
import { useLiveTable } from '../src/index.js'
import { mountWith, probe } from './helpers.js'

const T0 = Date.UTC(2026, 0, 1)
type Comp = { id: number; project_id: number; tag: string; updated_at: string }

/** A real supasync instance over a fake realtime client (channels stay joining: the tables poll) and a fake PostgREST. */
function world(rows = 4) {
  const clock = manualClock(T0)
  const server = new FakeServer(clock)
  server.rows = Array.from({ length: rows }, (_, index) => ({ id: index + 1, project_id: index % 2 === 0 ? 1 : 2, tag: `C-${index + 1}`, updated_at: pgts(T0 * 1000 - 60_000_000 + index) }))
  const realtime = new FakeRealtime()
  const sync: Supasync = createSupasync(realtime.asClient(), { ports: { timers: clock }, onError: () => {} })
  const baseline = sync.diagnostics()
  const options = (extra: Partial<LiveTableOptions<Comp>> = {}): LiveTableOptions<Comp> => ({ supabase: server.host, table: 'components', sweepIntervalMs: false, pageSize: 100_000, ...extra })
  return { clock, server, realtime, sync, baseline, options }
}

describe('useLiveTable: keyed options', () => {
  it('a getter over a prop switches tables once per real change; equal recreated objects (any key order) keep the table', async () => {
    const { clock, server, sync, baseline, options } = world()
    const share = vi.spyOn(sync, 'share')
    const p = probe(
      (props) => useLiveTable<Comp>(() => (props.b ? { ...options(), filter: { project_id: props.a as number } } : { filter: { project_id: props.a as number }, ...options() })),
      (r) => [...r.rows.value.keys()].join(','),
    )
    const wrapper = mountWith(sync, p.component, { a: 1, b: true })
    await run(clock, 100)
    expect(wrapper.text()).toBe('1,3')
    expect(share).toHaveBeenCalledTimes(1)
    await wrapper.setProps({ a: 1, b: false }) // the same options, written in another key order
    await wrapper.setProps({ a: 1, b: true, c: 'unrelated' })
    expect(share).toHaveBeenCalledTimes(1)
    expect(server.of('rows').length).toBe(1)
    await wrapper.setProps({ a: 2, b: true })
    await run(clock, 100)
    expect(share).toHaveBeenCalledTimes(2)
    expect(wrapper.text()).toBe('2,4')
    wrapper.unmount()
    // The table is destroyed after the grace period and releases its changes leases, which leave after their own.
    await run(clock, 2 * sync.graceMs + 100)
    expect(sync.diagnostics()).toEqual(baseline)
  })

  it('a remount within the grace period shows the rows in its first render (no empty flash, no new read, no join)', async () => {
    const { clock, server, sync, options, realtime } = world()
    const shown: number[] = []
    const Inner = defineComponent({
      setup() {
        const { rows } = useLiveTable<Comp>(options())
        return () => {
          shown.push(rows.value.size)
          return h('i', rows.value.size)
        }
      },
    })
    const Host = defineComponent({ props: { show: Boolean }, setup: (props) => () => (props.show ? h(Inner) : h('b')) })
    const wrapper = mountWith(sync, Host, { show: true })
    await run(clock, 100)
    expect(shown).toEqual([0, 4])
    const joins = realtime.subscribes
    expect(joins).toBeGreaterThan(0)
    await wrapper.setProps({ show: false })
    await run(clock, sync.graceMs / 2)
    shown.length = 0
    await wrapper.setProps({ show: true })
    expect(shown).toEqual([4])
    expect(server.of('rows').length).toBe(1)
    await run(clock, 100)
    expect(realtime.subscribes).toBe(joins)
    wrapper.unmount()
  })

  it('null disables: empty rows, not loading, refresh rejects; options later load', async () => {
    const { clock, sync, options } = world()
    const given = ref<LiveTableOptions<Comp> | null>(null)
    const p = probe(() => useLiveTable<Comp>(given))
    mountWith(sync, p.component)
    const { rows, loading, table, refresh } = p.result()
    expect(rows.value.size).toBe(0)
    expect(loading.value).toBe(false)
    expect(table.value).toBeUndefined()
    await expect(refresh()).rejects.toThrow(/disabled/)
    given.value = options()
    await nextTick()
    expect(loading.value).toBe(true)
    await run(clock, 100)
    expect(loading.value).toBe(false)
    expect(rows.value.size).toBe(4)
    await expect(refresh()).resolves.toBeUndefined()
  })

  it('invalid options are shown in error (INVALID_OPTIONS), not thrown', async () => {
    const { sync, options } = world()
    const p = probe(() => useLiveTable<Comp>(options({ table: 'not a table' })))
    mountWith(sync, p.component)
    expect(p.result().error.value?.code).toBe('INVALID_OPTIONS')
    expect(p.result().error.value?.message).toMatch(/plain identifier/)
    await expect(p.result().suspense()).rejects.toThrow(/plain identifier/)
  })
})

describe('useLiveTable: re-render discipline', () => {
  it('of 100,000 rows, a component that selected one row updates only when that row changes', async () => {
    const { clock, server, sync, options } = world(100_000)
    const mount = (id: string) => {
      const p = probe(
        () => useLiveTable<Comp, Comp | undefined>(options(), { select: (rows) => rows.get(id) }),
        (r) => r.rows.value?.tag ?? '',
      )
      const wrapper = mountWith(sync, p.component)
      let notified = 0
      watch(p.result().rows, () => notified++)
      return { wrapper, counts: p.counts, notified: () => notified }
    }
    const picky = mount('42')
    const changing = mount('7')
    const whole = probe(() => useLiveTable<Comp>(options()), (r) => r.rows.value.size)
    mountWith(sync, whole.component)
    await run(clock, 100)
    expect(picky.wrapper.text()).toBe('C-42')
    const before = { picky: picky.counts.renders, changing: changing.counts.renders, whole: whole.counts.renders, pickyNotified: picky.notified(), changingNotified: changing.notified() }
    server.write({ ...server.rows[6]!, tag: 'C-7 welded' })
    await whole.result().refresh()
    await nextTick()
    expect(changing.wrapper.text()).toBe('C-7 welded')
    expect(picky.counts.renders - before.picky).toBe(0)
    expect(picky.notified() - before.pickyNotified).toBe(0)
    expect(changing.counts.renders - before.changing).toBe(1)
    expect(changing.notified() - before.changingNotified).toBe(1)
    expect(whole.counts.renders - before.whole).toBe(1)
  }, 60_000)

  it('isEqual keeps a select that builds a new array from updating while its content is equal', async () => {
    const { clock, server, sync, options } = world()
    const p = probe(
      () => useLiveTable<Comp, string[]>(options(), {
        select: (rows) => [...rows.values()].filter((row) => row.project_id === 1).map((row) => row.tag),
        isEqual: (a, b) => a.length === b.length && a.every((tag, index) => tag === b[index]),
      }),
      (r) => r.rows.value.join(','),
    )
    const wrapper = mountWith(sync, p.component)
    await run(clock, 100)
    expect(wrapper.text()).toBe('C-1,C-3')
    const renders = p.counts.renders
    server.write({ ...server.rows[1]!, tag: 'C-2 moved' }) // project 2: not in the pick
    await p.result().refresh()
    await nextTick()
    expect(p.counts.renders).toBe(renders)
    server.write({ ...server.rows[2]!, tag: 'C-3 welded' })
    await p.result().refresh()
    await nextTick()
    expect(wrapper.text()).toBe('C-1,C-3 welded')
    expect(p.counts.renders).toBe(renders + 1)
  })

  it('a select reading a prop re-picks when the prop changes, without a new table', async () => {
    const { clock, sync, options } = world()
    const share = vi.spyOn(sync, 'share')
    const p = probe(
      (props) => useLiveTable<Comp, string | undefined>(options(), { select: (rows) => rows.get(String(props.a))?.tag }),
      (r) => r.rows.value ?? '-',
    )
    const wrapper = mountWith(sync, p.component, { a: 1 })
    await run(clock, 100)
    expect(wrapper.text()).toBe('C-1')
    await wrapper.setProps({ a: 3 })
    expect(wrapper.text()).toBe('C-3')
    expect(share).toHaveBeenCalledTimes(1)
  })

  it('freshness does not tick every second unless staleness: true', async () => {
    const { clock, sync, options } = world()
    const quiet = probe(() => useLiveTable<Comp>(options()), (r) => String(r.freshness.value.stalenessMs))
    const ticking = probe(() => useLiveTable<Comp>(options(), { staleness: true }), (r) => String(r.freshness.value.stalenessMs))
    mountWith(sync, quiet.component)
    mountWith(sync, ticking.component)
    await run(clock, 100)
    const table = quiet.result().table.value!
    const storeChanges: number[] = []
    table.freshness.subscribe((freshness) => storeChanges.push(freshness.stalenessMs))
    const before = { quiet: quiet.counts.renders, ticking: ticking.counts.renders }
    await run(clock, 5000)
    await nextTick()
    expect(storeChanges.length).toBeGreaterThanOrEqual(4) // the store itself ticks
    expect(quiet.counts.renders - before.quiet).toBe(0)
    expect(ticking.counts.renders - before.ticking).toBeGreaterThanOrEqual(4)
    expect(ticking.result().freshness.value.stalenessMs).toBeGreaterThan(0)
  })
})

describe('useLiveTable: suspense and latest handlers', () => {
  it('suspense() under <Suspense>: the fallback until the load, then the rows', async () => {
    const { clock, sync, options } = world()
    const Async = defineComponent({
      async setup() {
        const { rows, suspense } = useLiveTable<Comp>(options())
        const loaded = await suspense()
        return () => h('i', `${loaded.size}/${rows.value.size}`)
      },
    })
    const wrapper = mountWith(sync, defineComponent({ setup: () => () => h(Suspense, null, { default: () => h(Async), fallback: () => h('b', 'loading') }) }))
    expect(wrapper.text()).toBe('loading')
    await run(clock, 100)
    await nextTick()
    expect(wrapper.text()).toBe('4/4')
    wrapper.unmount()
  })

  it('onChange goes to the latest options object without a new table', async () => {
    const { clock, server, sync, options } = world()
    const share = vi.spyOn(sync, 'share')
    const seen: string[] = []
    const label = ref('first')
    const p = probe(() => useLiveTable<Comp>(() => ({ ...options(), onChange: (change) => seen.push(`${label.value}:${change.key}`) })))
    mountWith(sync, p.component)
    await run(clock, 100)
    expect(seen).toEqual(['first:1', 'first:2', 'first:3', 'first:4'])
    label.value = 'second'
    await nextTick()
    server.write({ ...(server.rows[0] as Row), tag: 'x' })
    await p.result().refresh()
    expect(seen.at(-1)).toBe('second:1')
    expect(share).toHaveBeenCalledTimes(1)
  })
})
