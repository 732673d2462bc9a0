// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { computed, defineComponent, effectScope, h, KeepAlive, nextTick, ref, shallowRef } from 'vue'
import { SupasyncError, type BroadcastMessage } from '@supasync/core'
import { useBroadcast, useChannel } from '../src/index.js'
import { fakeWorld, flush, mountWith, probe } from './helpers.js'

describe('useChannel: arguments watched by key', () => {
  it('a getter over a prop switches rooms exactly once per real change; the old room leaves only after the grace period', async () => {
    const world = fakeWorld()
    const channel = vi.spyOn(world.sync, 'channel')
    const p = probe((props) => useChannel(() => `room:${String(props.a)}`), (r) => r.status.value)
    const wrapper = mountWith(world.sync, p.component, { a: 1 })
    await flush()
    expect(world.realtime.subscribes).toBe(1)
    expect(channel).toHaveBeenCalledTimes(1)
    await wrapper.setProps({ a: 1, b: 'unrelated' })
    await flush()
    expect(channel).toHaveBeenCalledTimes(1)
    await wrapper.setProps({ a: 2 })
    await flush()
    expect(channel).toHaveBeenCalledTimes(2)
    expect(world.realtime.subscribes).toBe(2)
    const [first] = world.roomChannels()
    await world.advance(world.sync.graceMs - 100)
    expect(first!.removed).toBe(false)
    await world.advance(200)
    expect(first!.removed).toBe(true)
    wrapper.unmount()
    await world.advance(world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })

  it('a ref and a computed topic: one switch per change, none for the same value set again', async () => {
    const world = fakeWorld()
    const channel = vi.spyOn(world.sync, 'channel')
    const topic = ref('a')
    const suffix = ref(1)
    const computedTopic = computed(() => `c:${suffix.value % 2}`)
    const p = probe(() => [useChannel(topic), useChannel(computedTopic)])
    const wrapper = mountWith(world.sync, p.component)
    await flush()
    expect(channel).toHaveBeenCalledTimes(2)
    topic.value = 'a'
    suffix.value = 3 // same computed value 'c:1'
    await nextTick()
    expect(channel).toHaveBeenCalledTimes(2)
    topic.value = 'b'
    await nextTick()
    expect(channel).toHaveBeenCalledTimes(3)
    expect(channel.mock.calls[2]![0]).toBe('b')
    suffix.value = 4
    await nextTick()
    expect(channel).toHaveBeenCalledTimes(4)
    expect(channel.mock.calls[3]![0]).toBe('c:0')
    // a → b → a within one tick is no change at all
    topic.value = 'x'
    topic.value = 'b'
    await nextTick()
    expect(channel).toHaveBeenCalledTimes(4)
    wrapper.unmount()
    await world.advance(world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })

  it('equal options objects recreated by a getter keep the room; changed options switch it', async () => {
    const world = fakeWorld()
    const channel = vi.spyOn(world.sync, 'channel')
    // The getter reads prop b (so it re-runs when b changes) but returns an equal object unless a changes.
    const p = probe((props) => useChannel('room', () => (void props.b, { broadcast: { ack: props.a === 'ack', self: false } })))
    const wrapper = mountWith(world.sync, p.component, { a: 'ack', b: 1 })
    await flush()
    for (let b = 2; b < 6; b++) await wrapper.setProps({ a: 'ack', b })
    await flush()
    expect(channel).toHaveBeenCalledTimes(1)
    expect(world.realtime.subscribes).toBe(1)
    await wrapper.setProps({ a: 'no-ack', b: 6 })
    await flush()
    expect(channel).toHaveBeenCalledTimes(2)
    expect(channel.mock.calls[1]![1]).toEqual({ broadcast: { ack: false, self: false } })
    wrapper.unmount()
    await world.advance(world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })

  it('status follows the shared channel into the DOM; send goes through the room', async () => {
    const world = fakeWorld()
    const p = probe(() => useChannel('room:s'), (r) => r.status.value)
    const wrapper = mountWith(world.sync, p.component)
    expect(wrapper.text()).toBe('joining')
    await flush()
    world.roomChannels()[0]!.joined()
    await nextTick()
    expect(wrapper.text()).toBe('joined')
    const send = vi.spyOn(world.roomChannels()[0]!, 'send')
    await expect(p.result().send('ping', { n: 1 })).resolves.toBe('ok')
    expect(send).toHaveBeenCalledTimes(1)
    wrapper.unmount()
  })

  it('null holds nothing: status closed, send rejects saying why; a topic later joins', async () => {
    const world = fakeWorld()
    const topic = ref<string | null>(null)
    const p = probe(() => useChannel(topic), (r) => r.status.value)
    const wrapper = mountWith(world.sync, p.component)
    await flush()
    expect(wrapper.text()).toBe('closed')
    expect(world.realtime.subscribes).toBe(0)
    const error = await p.result().send('x', 1).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SupasyncError)
    expect((error as Error).message).toMatch(/nothing is open \(disabled by null/)
    topic.value = 'later'
    await nextTick()
    await flush()
    expect(world.realtime.subscribes).toBe(1)
    topic.value = null
    await nextTick()
    expect(wrapper.text()).toBe('closed')
    wrapper.unmount()
    await world.advance(world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })
})

describe('grace period: KeepAlive, remounts and disposal', () => {
  const Inner = defineComponent({
    name: 'Inner',
    setup() {
      const { status } = useChannel('wedding:1')
      return () => h('i', status.value)
    },
  })
  const Other = defineComponent({ name: 'Other', render: () => h('b', 'other') })

  it('<KeepAlive>: deactivate and activate cost no leave and no join', async () => {
    const world = fakeWorld()
    const Host = defineComponent({
      props: { show: Boolean },
      setup: (props) => () => h(KeepAlive, null, [props.show ? h(Inner) : h(Other)]),
    })
    const wrapper = mountWith(world.sync, Host, { show: true })
    await flush()
    expect(world.realtime.subscribes).toBe(1)
    await wrapper.setProps({ show: false })
    expect(wrapper.text()).toBe('other')
    await world.advance(10 * world.sync.graceMs)
    expect(world.roomChannels()[0]!.removed).toBe(false)
    await wrapper.setProps({ show: true })
    await flush()
    expect(world.realtime.subscribes).toBe(1)
    expect(world.sync.diagnostics().roomHolders).toBe(1)
    wrapper.unmount()
    await world.advance(world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })

  it('unmount and remount within the grace period (a route change away and back): no extra join', async () => {
    const world = fakeWorld()
    const Host = defineComponent({ props: { show: Boolean }, setup: (props) => () => (props.show ? h(Inner) : h(Other)) })
    const wrapper = mountWith(world.sync, Host, { show: true })
    await flush()
    world.roomChannels()[0]!.joined()
    await wrapper.setProps({ show: false })
    expect(world.sync.diagnostics().roomHolders).toBe(0)
    await world.advance(world.sync.graceMs / 2)
    await wrapper.setProps({ show: true })
    await flush()
    expect(world.realtime.subscribes).toBe(1)
    expect(wrapper.text()).toBe('joined')
    // and away for longer than the grace period: the room is left, and coming back joins again
    await wrapper.setProps({ show: false })
    await world.advance(world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
    await wrapper.setProps({ show: true })
    await flush()
    expect(world.realtime.subscribes).toBe(2)
    wrapper.unmount()
    await world.advance(world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })

  it('an effect scope of its own with an explicit instance: stop() releases everything', async () => {
    const world = fakeWorld()
    const scope = effectScope()
    const status = scope.run(() => useChannel('scoped', { broadcast: { ack: true } }, world.sync).status)!
    await flush()
    expect(world.sync.diagnostics().roomHolders).toBe(1)
    world.roomChannels()[0]!.joined()
    expect(status.value).toBe('joined')
    scope.stop()
    expect(world.sync.diagnostics().roomHolders).toBe(0)
    await world.advance(world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
    await world.sync.destroy()
    expect(world.sync.diagnostics().timers).toBe(0)
  })
})

describe('useBroadcast', () => {
  /** Plays the server: a broadcast arriving on the room's realtime channel. */
  const broadcast = (world: ReturnType<typeof fakeWorld>, event: string, payload: unknown) => {
    for (const listener of world.roomChannels().at(-1)!.listeners) {
      if (listener.type === 'broadcast') (listener.callback as (message: unknown) => void)({ type: 'broadcast', event, payload })
    }
  }

  it('calls the latest handler of a ref without resubscribing; filters by a reactive event name', async () => {
    const world = fakeWorld()
    const seen: string[] = []
    const handler = shallowRef((payload: { n: number }) => seen.push(`first ${payload.n}`))
    const event = ref('late')
    const p = probe(() => useBroadcast<{ n: number }>('wedding:2', event, handler))
    const wrapper = mountWith(world.sync, p.component)
    await flush()
    broadcast(world, 'late', { n: 1 })
    broadcast(world, 'other', { n: 2 })
    handler.value = (payload) => seen.push(`second ${payload.n}`)
    await nextTick()
    broadcast(world, 'late', { n: 3 })
    event.value = 'other'
    await nextTick()
    broadcast(world, 'late', { n: 4 })
    broadcast(world, 'other', { n: 5 })
    expect(seen).toEqual(['first 1', 'second 3', 'second 5'])
    expect(world.realtime.subscribes).toBe(1)
    expect(world.sync.diagnostics().roomListeners).toBe(1)
    wrapper.unmount()
    expect(world.sync.diagnostics().roomListeners).toBe(0)
    await world.advance(world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })

  it('without options it joins the room as a sender opened it (no CONFIG_CONFLICT); a topic change moves the listener', async () => {
    const world = fakeWorld()
    const messages: BroadcastMessage[] = []
    const topic = ref('wedding:3')
    const p = probe(() => {
      useChannel('wedding:3', { broadcast: { ack: true } })
      return useBroadcast(topic, '*', (_payload, message) => messages.push(message))
    })
    const wrapper = mountWith(world.sync, p.component)
    await flush()
    expect(world.realtime.subscribes).toBe(1)
    broadcast(world, 'any', 1)
    expect(messages).toEqual([{ event: 'any', payload: 1 }])
    topic.value = 'wedding:4'
    await nextTick()
    await flush()
    expect(world.realtime.subscribes).toBe(2)
    broadcast(world, 'moved', 2)
    expect(messages.at(-1)).toEqual({ event: 'moved', payload: 2 })
    wrapper.unmount()
    await world.advance(world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })
})
