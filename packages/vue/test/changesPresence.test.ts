// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { computed, defineComponent, h, KeepAlive, nextTick, ref, shallowRef } from 'vue'
import { SupasyncError, type ChangeSpec } from '@supasync/core'
import { PresenceRoom } from '@supasync/presence'
import type { PresenceEngine } from '../../presence/src/PresenceEngine.js'
import { useChanges, usePresence } from '../src/index.js'
import { deliver, fakeWorld, flush, mountWith, postgresReady, probe, servePresence } from './helpers.js'

describe('useChanges', () => {
  it('a getter over a prop: one lease switch per real change, none for equal recreated specs', async () => {
    const world = fakeWorld()
    const changes = vi.spyOn(world.sync, 'changes')
    const p = probe(
      (props) => useChanges(() => (void props.b, { table: 'components', filter: `project_id=eq.${String(props.a)}` }), () => {}),
      (r) => r.status.value,
    )
    const wrapper = mountWith(world.sync, p.component, { a: 1, b: 0 })
    await flush()
    for (let b = 1; b < 5; b++) await wrapper.setProps({ a: 1, b })
    expect(changes).toHaveBeenCalledTimes(1)
    await wrapper.setProps({ a: 2, b: 5 })
    expect(changes).toHaveBeenCalledTimes(2)
    expect(changes.mock.calls[1]![0]).toEqual({ table: 'components', filter: 'project_id=eq.2' })
    expect(world.sync.diagnostics().changeLeases).toBe(1)
    wrapper.unmount()
    expect(world.sync.diagnostics().changeLeases).toBe(0)
    await world.advance(world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })

  it('a ref and a computed spec: equal objects assigned again keep the lease, a changed one switches once', async () => {
    const world = fakeWorld()
    const changes = vi.spyOn(world.sync, 'changes')
    const spec = ref<ChangeSpec>({ table: 'components', filter: 'project_id=eq.1' })
    const project = ref(1)
    const fromComputed = computed<ChangeSpec>(() => ({ table: 'notes', filter: `project_id=eq.${project.value}` }))
    const p = probe(() => [useChanges(spec, () => {}), useChanges(fromComputed, () => {})])
    const wrapper = mountWith(world.sync, p.component)
    await flush()
    expect(changes).toHaveBeenCalledTimes(2)
    spec.value = { filter: 'project_id=eq.1', table: 'components' }
    project.value = 1
    await nextTick()
    expect(changes).toHaveBeenCalledTimes(2)
    spec.value = { table: 'components', filter: 'project_id=eq.2' }
    project.value = 2
    await nextTick()
    expect(changes).toHaveBeenCalledTimes(4)
    expect(world.sync.diagnostics().changeLeases).toBe(2)
    wrapper.unmount()
    await world.advance(world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })

  it('status pending → live in the DOM; changes reach the latest callback of a ref without resubscribing', async () => {
    const world = fakeWorld()
    const changes = vi.spyOn(world.sync, 'changes')
    const seen: string[] = []
    const callback = shallowRef((change: { new: Record<string, unknown> }) => seen.push(`a${String(change.new.id)}`))
    const p = probe(() => useChanges({ table: 'components' }, callback), (r) => r.status.value)
    const wrapper = mountWith(world.sync, p.component)
    expect(wrapper.text()).toBe('pending')
    await flush()
    const channel = world.changeChannels()[0]!
    channel.joined()
    postgresReady(channel)
    await nextTick()
    expect(wrapper.text()).toBe('live')
    deliver(channel, { table: 'components', new: { id: 1 } })
    callback.value = (change) => seen.push(`b${String(change.new.id)}`)
    deliver(channel, { table: 'components', new: { id: 2 }, commit_timestamp: new Date(1).toISOString() })
    expect(seen).toEqual(['a1', 'b2'])
    expect(changes).toHaveBeenCalledTimes(1)
    wrapper.unmount()
    await world.advance(world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })

  it('an invalid spec is reported in error (status error), not thrown; a valid one afterwards subscribes', async () => {
    const world = fakeWorld()
    const spec = ref<ChangeSpec | null>({ table: 'components', filter: 'project_id=42' })
    const p = probe(() => useChanges(spec, () => {}))
    const wrapper = mountWith(world.sync, p.component)
    await flush()
    const { status, error } = p.result()
    expect(status.value).toBe('error')
    expect(error.value).toBeInstanceOf(SupasyncError)
    expect(error.value!.code).toBe('INVALID_FILTER')
    expect(error.value!.message).toMatch(/column=op\.value/)
    spec.value = { table: 'components', filter: 'project_id=eq.42' }
    await nextTick()
    expect(status.value).toBe('pending')
    expect(error.value).toBeUndefined()
    spec.value = null
    await nextTick()
    expect(status.value).toBe('released')
    expect(world.sync.diagnostics().changeLeases).toBe(0)
    wrapper.unmount()
    await world.advance(world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })

  it('a subscription the server refuses shows as status error with the reason', async () => {
    const world = fakeWorld()
    const p = probe(() => useChanges({ table: 'missing' }, () => {}))
    const wrapper = mountWith(world.sync, p.component)
    await flush()
    const channel = world.changeChannels()[0]!
    channel.joined()
    channel.system({ extension: 'postgres_changes', status: 'error', message: 'Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [schema: public, table: missing]' })
    await world.advance(100)
    await nextTick()
    expect(p.result().status.value).toBe('error')
    expect(p.result().error.value?.message).toMatch(/missing/)
    wrapper.unmount()
    await world.advance(world.sync.graceMs + 100)
    expect(world.sync.diagnostics().changeLeases).toBe(0)
    expect(world.sync.diagnostics().channels).toBe(0)
  })
})

describe('usePresence', () => {
  const engineOf = (world: ReturnType<typeof fakeWorld>, topic: string) => world.sync.peekShared<PresenceEngine>('supasync/presence:engine', topic)

  it('a change of options.state is an update(), not a resubscribe; a change of key switches rooms', async () => {
    const world = fakeWorld()
    const update = vi.spyOn(PresenceRoom.prototype, 'update')
    try {
      const p = probe(
        (props) => usePresence<{ task: string }>('wedding:1', () => ({ key: String(props.a), state: { task: String(props.b) } })),
        (r) => r.members.value.map((member) => `${member.key}:${member.state.task}`).join(','),
      )
      const wrapper = mountWith(world.sync, p.component, { a: 'alice', b: 'cake' })
      await flush()
      servePresence(world.roomChannels()[0]!, 'alice')
      world.roomChannels()[0]!.joined()
      await world.advance(100)
      expect(world.realtime.subscribes).toBe(1)
      expect(wrapper.text()).toBe('alice:cake')
      await wrapper.setProps({ a: 'alice', b: 'cake', c: 'unrelated' })
      expect(update).not.toHaveBeenCalled()
      await wrapper.setProps({ a: 'alice', b: 'dance' })
      await world.advance(100)
      expect(update).toHaveBeenCalledTimes(1)
      expect(update).toHaveBeenLastCalledWith({ task: 'dance' })
      expect(wrapper.text()).toBe('alice:dance')
      expect(world.realtime.subscribes).toBe(1)
      await wrapper.setProps({ a: 'bob', b: 'dance' })
      await flush()
      expect(update).toHaveBeenCalledTimes(1)
      expect(world.realtime.subscribes).toBe(2)
      expect(engineOf(world, 'wedding:1')!.options.key).toBe('bob')
      wrapper.unmount()
      await world.advance(2 * world.sync.graceMs + 100)
      expect(world.sync.diagnostics()).toEqual(world.baseline)
    } finally {
      update.mockRestore()
    }
  })

  it('<KeepAlive> and a remount within the grace period cost no join and no presence call', async () => {
    const world = fakeWorld()
    const Inner = defineComponent({
      setup() {
        const { status } = usePresence('wedding:2', { key: 'vendor', state: { role: 'photographer' } })
        return () => h('i', status.value)
      },
    })
    const Host = defineComponent({
      props: { show: Boolean, keep: Boolean },
      setup: (props) => () => (props.keep ? h(KeepAlive, null, [props.show ? h(Inner) : h('b')]) : props.show ? h(Inner) : h('b')),
    })
    const wrapper = mountWith(world.sync, Host, { show: true, keep: true })
    await flush()
    world.roomChannels()[0]!.joined()
    await world.advance(2000)
    const calls = engineOf(world, 'wedding:2')!.diagnostics().calls
    expect(calls).toBe(1) // the first track
    await wrapper.setProps({ show: false, keep: true })
    await world.advance(10 * world.sync.graceMs)
    await wrapper.setProps({ show: true, keep: true })
    await world.advance(2000)
    await wrapper.setProps({ show: false, keep: false })
    await world.advance(world.sync.graceMs / 2)
    await wrapper.setProps({ show: true, keep: false })
    await world.advance(2000)
    expect(world.realtime.subscribes).toBe(1)
    expect(engineOf(world, 'wedding:2')!.diagnostics().calls).toBe(calls)
    expect(wrapper.text()).toBe('joined')
    wrapper.unmount()
    // The presence engine untracks after the grace period and releases its room, which leaves after its own.
    await world.advance(2 * world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })

  it('null disables (closed, empty lists, update/setTyping do nothing); a topic change switches rooms', async () => {
    const world = fakeWorld()
    const topic = ref<string | null>(null)
    const p = probe(() => usePresence(topic, { key: 'me' }))
    const wrapper = mountWith(world.sync, p.component)
    await flush()
    const { status, members, update, setTyping } = p.result()
    expect(status.value).toBe('closed')
    expect(members.value).toEqual([])
    update({ x: 1 })
    setTyping(true)
    expect(world.realtime.subscribes).toBe(0)
    topic.value = 'wedding:3'
    await nextTick()
    await flush()
    expect(world.realtime.subscribes).toBe(1)
    servePresence(world.roomChannels()[0]!, 'me')
    world.roomChannels()[0]!.joined()
    await world.advance(100)
    expect(members.value.map((member) => member.key)).toEqual(['me'])
    topic.value = 'wedding:4'
    await nextTick()
    await flush()
    expect(world.realtime.subscribes).toBe(2)
    topic.value = null
    await nextTick()
    expect(status.value).toBe('closed')
    expect(members.value).toEqual([])
    wrapper.unmount()
    await world.advance(2 * world.sync.graceMs + 100)
    expect(world.sync.diagnostics()).toEqual(world.baseline)
  })
})
