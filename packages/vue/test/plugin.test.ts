// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { createApp, defineComponent, effectScope, h, nextTick, provide, watch } from 'vue'
import { mount } from '@vue/test-utils'
import { SupasyncError } from '@supasync/core'
import { createQueue, memoryStorage, type QueueExecutor } from '@supasync/queue'
import { SupasyncPlugin, supasyncKey, useChannel, useChanges, useConnectionStatus, useLiveTable, usePresence, useQueue, useQueueStatus, useSupasync } from '../src/index.js'
import { fakeWorld, flush, mountWith, probe } from './helpers.js'

/** What a call throws (synchronously). */
function thrown(fn: () => unknown): SupasyncError {
  try {
    fn()
  } catch (error) {
    return error as SupasyncError
  }
  throw new Error('expected it to throw')
}

describe('useSupasync', () => {
  it('returns the plugin instance; a provide() in a subtree overrides it', () => {
    const outer = fakeWorld()
    const inner = fakeWorld()
    const seen: unknown[] = []
    const Leaf = defineComponent({ setup: () => (seen.push(useSupasync().sync), () => null) })
    const Middle = defineComponent({
      setup() {
        provide(supasyncKey, { sync: inner.sync, queue: undefined })
        return () => h(Leaf)
      },
    })
    mountWith(outer.sync, defineComponent({ setup: () => () => [h(Leaf), h(Middle)] }))
    expect(seen).toEqual([outer.sync, inner.sync])
  })

  it('outside setup without an instance: says to call it inside setup() or pass the instance', () => {
    const error = thrown(() => useSupasync())
    expect(error).toBeInstanceOf(SupasyncError)
    expect(error.message).toMatch(/outside setup\(\).*inside setup\(\).*pass the instance: useSupasync\(sync\)/)
    expect(thrown(() => useChannel('x')).message).toMatch(/useChannel\(\) was called outside setup\(\).*useChannel\(…, sync\)/)
    expect(thrown(() => useLiveTable({ table: 'x' })).message).toMatch(/useLiveTable\(\) was called outside setup/)
  })

  it('with an explicit instance outside any scope: the lease-holding composables say they need a scope; useSupasync works', () => {
    const { sync } = fakeWorld()
    expect(useSupasync(sync).sync).toBe(sync)
    expect(useSupasync({ sync }).queue).toBeUndefined()
    expect(thrown(() => useChannel('x', undefined, sync)).message).toMatch(/effectScope\(\)\.run/)
    expect(thrown(() => useChanges({ table: 't' }, () => {}, sync)).message).toMatch(/needs an effect scope/)
    expect(thrown(() => useConnectionStatus(undefined, undefined, sync)).message).toMatch(/needs an effect scope/)
    expect(sync.diagnostics().roomHolders).toBe(0)
    expect(thrown(() => useSupasync({} as never)).message).toMatch(/what createSupasync\(supabase\) returned/)
  })

  it('without the plugin: says how to install it', () => {
    const Comp = defineComponent({ setup: () => (usePresence('t', { key: 'k' }), () => null) })
    const handler = vi.fn()
    const app = createApp(Comp)
    app.config.errorHandler = handler
    app.config.warnHandler = () => {}
    app.mount(document.createElement('div'))
    expect(handler).toHaveBeenCalledTimes(1)
    expect((handler.mock.calls[0]![0] as Error).message).toMatch(/app\.use\(SupasyncPlugin, \{ sync: createSupasync\(supabase\) \}\)/)
    app.unmount()
  })

  it('the plugin refuses something that is not a supasync instance', () => {
    const app = createApp({ render: () => null })
    expect(() => app.use(SupasyncPlugin, { sync: {} as never })).toThrow(/createSupasync\(supabase\)/)
  })
})

describe('SupasyncPlugin and app.unmount()', () => {
  it('unmounting the app releases every lease its components held', async () => {
    const world = fakeWorld()
    const Comp = defineComponent({
      setup() {
        useChannel('a')
        useChanges({ table: 'components' }, () => {})
        usePresence('b', { key: 'me' })
        return () => h('i')
      },
    })
    const app = createApp(Comp).use(SupasyncPlugin, { sync: world.sync })
    app.mount(document.createElement('div'))
    await flush()
    expect(world.sync.diagnostics().roomHolders).toBe(2)
    expect(world.sync.diagnostics().changeLeases).toBe(1)
    app.unmount()
    expect(world.sync.diagnostics().roomHolders).toBe(1) // presence's own holder, released after the grace period
    expect(world.sync.diagnostics().changeLeases).toBe(0)
    await world.advance(2 * world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })

  it('destroyOnUnmount: the app owns sync and queue, unmounting destroys both after the tree is gone', async () => {
    const world = fakeWorld()
    const queue = createQueue({ executor: { execute: async () => {} } satisfies QueueExecutor, storage: memoryStorage(), autoFlush: false })
    const app = createApp(defineComponent({ setup: () => (useChannel('a'), useQueueStatus(), () => h('i')) }))
    app.use(SupasyncPlugin, { sync: world.sync, queue, destroyOnUnmount: true })
    app.mount(document.createElement('div'))
    await flush()
    const destroy = vi.spyOn(world.sync, 'destroy')
    app.unmount()
    await flush()
    expect(destroy).toHaveBeenCalledTimes(1)
    expect(world.sync.diagnostics().timers).toBe(0)
    expect(queue.diagnostics()).toEqual({ timers: 0, listeners: 0, inflight: 0 })
    expect(() => world.sync.channel('again')).toThrow(/destroyed/)
  })
})

describe('useConnectionStatus, useQueue, useQueueStatus', () => {
  it('connection status as a shallowRef; a select changes only with the selected value', async () => {
    const world = fakeWorld()
    const p = probe(() => ({ all: useConnectionStatus(), state: useConnectionStatus((status) => status.state) }))
    const wrapper = mountWith(world.sync, p.component)
    const { all, state } = p.result()
    expect(all.value).toBe(world.sync.status.get())
    expect(world.sync.diagnostics().statusListeners).toBe(2)
    let stateChanges = 0
    let allChanges = 0
    const stop = effectScope()
    stop.run(() => {
      watch(state, () => stateChanges++, { flush: 'sync' })
      watch(all, () => allChanges++, { flush: 'sync' })
    })
    const scope = effectScope()
    scope.run(() => useChannel('x', undefined, world.sync))
    await flush()
    world.roomChannels()[0]!.joined()
    world.realtime.connected = true
    for (const latency of [5, 7, 9]) {
      await world.sync.realtime.sendHeartbeat()
      world.realtime.heartbeatOk(latency)
      await nextTick()
    }
    expect(all.value.rttMs).toBe(9)
    expect(state.value).toBe('live')
    expect(allChanges).toBeGreaterThanOrEqual(3) // every heartbeat's rttMs
    expect(stateChanges).toBeLessThanOrEqual(2) // state transitions only, not one per heartbeat
    scope.stop()
    stop.stop()
    wrapper.unmount()
    expect(world.sync.diagnostics().statusListeners).toBe(0)
  })

  it('useQueue without a queue says how to pass one; with one, it and useQueueStatus work', async () => {
    const world = fakeWorld()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    expect(() => mountWith(world.sync, defineComponent({ setup: () => (useQueue(), () => null) }))).toThrow(/queue: createQueue/)
    warn.mockRestore()
    const sent: unknown[] = []
    const queue = createQueue({
      executor: { execute: async (request) => void sent.push(request) } satisfies QueueExecutor,
      storage: memoryStorage(),
      autoFlush: false,
    })
    const p = probe(() => ({ ...useQueue(), status: useQueueStatus() }), (r) => String(r.status.value.pending))
    const wrapper = mount(p.component, { global: { plugins: [[SupasyncPlugin, { sync: world.sync, queue }]] } })
    expect(wrapper.text()).toBe('0')
    await p.result().enqueue({ type: 'insert', table: 'components', rows: [{ tag: 'x' }] })
    await nextTick()
    expect(wrapper.text()).toBe('1')
    expect(p.result().queue).toBe(queue)
    wrapper.unmount()
    queue.destroy()
  })
})
