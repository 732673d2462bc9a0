/**
 * Helpers for the @supasync/vue unit tests: a supasync instance over core's fake realtime (joins counted, time on a
 * manual clock), a way to mount a component that runs composables, and a way to play the server for changes.
 */
import { defineComponent, h, type PropType, type VNodeChild } from 'vue'
import { mount, type VueWrapper } from '@vue/test-utils'
import type { ChangePayload, Supasync, SupasyncOptions } from '@supasync/core'
import { fakeSupasync, flush, type FakeChannel } from '../../core/test/fakeRealtime.js'
import { SupasyncPlugin } from '../src/index.js'

export { flush }

/** A supasync instance over a fake realtime client; `baseline` is what the idle instance holds (its monitor's timer). */
export function fakeWorld(options: SupasyncOptions = {}) {
  const world = fakeSupasync(options)
  const baseline = world.sync.diagnostics()
  return {
    ...world,
    baseline,
    /** Realtime channels of room topics (the changes pool's internal topics left out). */
    roomChannels: () => world.realtime.created.filter((channel) => !channel.topic.startsWith('realtime:supasync:')),
    /** Changes channels (the pool's internal topics). */
    changeChannels: () => world.realtime.created.filter((channel) => channel.topic.startsWith('realtime:supasync:')),
  }
}

export type FakeWorld = ReturnType<typeof fakeWorld>

/** Mounts `component` with the plugin installed for `sync`. */
export function mountWith(sync: Supasync, component: unknown, props?: Record<string, unknown>): VueWrapper<any> {
  return mount(component as never, { props: props as never, global: { plugins: [[SupasyncPlugin, { sync }]] } })
}

/**
 * A component that runs `setup(props)` and renders what `render(result)` returns, counting its renders; `props`
 * are `a`, `b` and `c` (anything).
 */
export function probe<T>(setup: (props: { a?: unknown; b?: unknown; c?: unknown }) => T, render: (result: T) => VNodeChild = () => null) {
  const counts = { renders: 0 }
  let result!: T
  const component = defineComponent({
    props: { a: { type: null as unknown as PropType<unknown> }, b: { type: null as unknown as PropType<unknown> }, c: { type: null as unknown as PropType<unknown> } },
    setup(props) {
      result = setup(props)
      return () => {
        counts.renders++
        return h('div', [render(result)])
      }
    },
  })
  return { component, counts, result: () => result }
}

/** Plays the server on a changes channel: "Subscribed to PostgreSQL". */
export function postgresReady(channel: FakeChannel): void {
  channel.system({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL' })
}

/** Plays the server on a changes channel: one postgres_changes event to every binding listening to `table`. */
export function deliver(channel: FakeChannel, change: Partial<ChangePayload> & { table: string; new?: Record<string, unknown> }): void {
  const payload = { schema: 'public', commit_timestamp: new Date(0).toISOString(), eventType: 'INSERT', new: {}, old: {}, errors: null, ...change }
  for (const listener of channel.listeners) {
    if (listener.type === 'postgres_changes' && listener.filter.table === change.table) (listener.callback as (payload: unknown) => void)(payload)
  }
}

/**
 * Plays the presence server on a room channel: every track lands in the presence state under `key` and a sync event
 * follows (as the real server's presence_state / diff would), so this client appears in `members`.
 */
export function servePresence(channel: FakeChannel, key: string): void {
  let ref = 0
  channel.track = async (payload?: unknown) => {
    channel.presence = { ...channel.presence, [key]: [{ ...(payload as Record<string, unknown>), presence_ref: `r${++ref}` }] }
    queueMicrotask(() => channel.presenceEvent('sync'))
    return 'ok'
  }
}
