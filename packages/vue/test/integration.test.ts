// @vitest-environment node
/**
 * @supasync/vue against the local stack (real Postgres, PostgREST and Realtime server) with the unmodified
 * supabase-js: a component tree with useLiveTable + useChannel + useBroadcast + usePresence; an update through
 * PostgREST reaches the DOM; dropped sockets and a stopped Realtime server are recovered from; remounts within the
 * grace period cost no join; unmounting returns every count to zero.
 *
 * Node environment with a happy-dom DOM installed by hand (see domGlobals.ts): the local stack must run with Node's
 * URL, and Vue is imported only after the DOM exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { RealtimeClientOptions, SupabaseClient } from '@supabase/supabase-js'
import { startLocalStack, type LocalStack } from '@supasync/local'
import { createSupasync, type Supasync } from '@supasync/core'
import { MIGRATION, SCHEMA, waitFor, type ComponentRow } from '../../polling/test/harness.js'
import { installDom } from './domGlobals.js'

installDom()
const { defineComponent, h, KeepAlive, nextTick, ref } = await import('vue')
const { mount } = await import('@vue/test-utils')
const { SupasyncPlugin, useBroadcast, useChannel, useConnectionStatus, useLiveTable, usePresence } = await import('../src/index.js')

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack({ sql: [MIGRATION, SCHEMA], realtime: { joinErrorDelayMs: 50, connectErrorDelayMs: 50 } })
})
afterAll(async () => {
  await stack?.stop()
})

/**
 * A supabase-js client of the stack on Node's own transports: ws for realtime (what Node 20 needs) rather than the
 * test DOM's WebSocket.
 */
function client(): SupabaseClient {
  return stack.createClient({ realtime: { transport: WebSocket as unknown as RealtimeClientOptions['transport'] } })
}

/** The project manager's board: the live components of one project, and who is in the project's room. */
const Board = defineComponent({
  props: { project: { type: Number, required: true } },
  setup(props) {
    const { rows, freshness, error } = useLiveTable<ComponentRow, string>(
      () => ({ table: 'components', filter: { project_id: props.project }, maxStalenessMs: 3000 }),
      { select: (all) => [...all.values()].sort((a, b) => a.id - b.id).map((row) => `${row.id}:${row.milestone}`).join(' ') },
    )
    return () => h('section', { id: 'board' }, [h('p', { id: 'rows' }, rows.value), h('p', { id: 'mode' }, freshness.value.mode), h('p', { id: 'error' }, error.value?.message ?? '')])
  },
})

const received = ref<string[]>([])
const Room = defineComponent({
  props: { project: { type: Number, required: true } },
  setup(props) {
    const presence = usePresence(() => `presence:${props.project}`, { key: 'pm', state: { name: 'Pat' } })
    const { status, send } = useChannel(() => `project:${props.project}`, { broadcast: { self: true, ack: true } })
    useBroadcast<{ text: string }>(() => `project:${props.project}`, 'note', (payload) => received.value.push(payload.text))
    const connection = useConnectionStatus((value) => value.state)
    return () =>
      h('section', { id: 'room' }, [
        h('p', { id: 'status' }, status.value),
        h('p', { id: 'members' }, presence.members.value.map((member) => `${member.key}:${member.status}`).join(',')),
        h('p', { id: 'connection' }, connection.value),
        h('button', { id: 'send', onClick: () => void send('note', { text: 'running late' }) }),
      ])
  },
})

const App = defineComponent({
  props: { project: { type: Number, required: true }, showRoom: { type: Boolean, default: true }, keep: { type: Boolean, default: false } },
  setup(props) {
    return () =>
      h('main', [
        h(Board, { project: props.project }),
        props.keep ? h(KeepAlive, null, [props.showRoom ? h(Room, { project: props.project }) : h('i')]) : props.showRoom ? h(Room, { project: props.project }) : h('i'),
      ])
  },
})

const text = (wrapper: ReturnType<typeof mount>, id: string) => wrapper.find(`#${id}`).text()

describe('@supasync/vue against the local stack', () => {
  it('live rows, broadcast and presence in the DOM; faults and recovery; no join for remounts; zero after unmount', async () => {
    const supabase = client()
    const admin = stack.createClient({ key: stack.serviceRoleKey, auth: { storageKey: 'supasync-vue-admin' }, realtime: { transport: WebSocket as unknown as RealtimeClientOptions['transport'] } })
    const sync: Supasync = createSupasync(supabase, { heartbeatIntervalMs: 1000, graceMs: 500 })
    const joinsBefore = stack.realtime.stats.joins
    const wrapper = mount(App, { props: { project: 1 }, global: { plugins: [[SupasyncPlugin, { sync }]] }, attachTo: document.body })
    try {
      await waitFor(() => text(wrapper, 'rows').split(' ').length === 20 && text(wrapper, 'status') === 'joined' && text(wrapper, 'members') === 'pm:online', 15_000, 'rows, room and presence')
      expect(text(wrapper, 'error')).toBe('')
      await waitFor(() => text(wrapper, 'mode') === 'realtime', 15_000, 'realtime mode')
      const joins = stack.realtime.stats.joins - joinsBefore
      expect(joins).toBeGreaterThanOrEqual(3) // the room, the presence room and the changes channel(s)

      // A write through PostgREST (another client) reaches the DOM. (Project 1 holds the even ids.)
      const started = Date.now()
      const { error } = await admin.from('components').update({ milestone: 'welded' }).eq('id', 2)
      expect(error).toBeNull()
      await waitFor(() => text(wrapper, 'rows').includes('2:welded'), 5000, 'the update in the DOM')
      const visibleMs = Date.now() - started
      expect(visibleMs).toBeLessThan(3000)

      // Broadcast through useChannel, heard by useBroadcast (self: true) with an ack.
      await wrapper.find('#send').trigger('click')
      await waitFor(() => received.value.includes('running late'), 5000, 'the broadcast')

      // Fault: every socket dropped. The pool rejoins; a write meanwhile still arrives.
      stack.faults.dropConnections()
      await admin.from('components').update({ milestone: 'tested' }).eq('id', 4)
      await waitFor(() => text(wrapper, 'rows').includes('4:tested'), 5000, 'the write made while sockets dropped')
      await waitFor(() => text(wrapper, 'status') === 'joined' && text(wrapper, 'members') === 'pm:online', 15_000, 'rejoined after the drop')

      // Fault: Realtime stopped. The live table polls and stays within its 3 s budget.
      await stack.faults.stopRealtime()
      const stoppedAt = Date.now()
      await admin.from('components').update({ milestone: 'painted' }).eq('id', 6)
      await waitFor(() => text(wrapper, 'rows').includes('6:painted'), 5000, 'the write while Realtime is stopped')
      expect(Date.now() - stoppedAt).toBeLessThan(5000)
      await waitFor(() => text(wrapper, 'status') !== 'joined', 10_000, 'the room noticing the stop')
      await stack.faults.startRealtime()
      await waitFor(() => text(wrapper, 'status') === 'joined' && text(wrapper, 'members') === 'pm:online', 20_000, 'rejoined after Realtime restarted')
      await waitFor(() => text(wrapper, 'mode') === 'realtime', 20_000, 'realtime mode again')

      // Remounts within the grace period (a route away and back, and KeepAlive) cost no join.
      const joinsSteady = stack.realtime.stats.joins
      await wrapper.setProps({ project: 1, showRoom: false })
      await new Promise((resolve) => setTimeout(resolve, 100))
      await wrapper.setProps({ project: 1, showRoom: true })
      await wrapper.setProps({ project: 1, showRoom: true, keep: true })
      await wrapper.setProps({ project: 1, showRoom: false, keep: true })
      await new Promise((resolve) => setTimeout(resolve, 1500)) // longer than the grace period: KeepAlive keeps it
      await wrapper.setProps({ project: 1, showRoom: true, keep: true })
      await nextTick()
      expect(text(wrapper, 'status')).toBe('joined')
      expect(stack.realtime.stats.joins).toBe(joinsSteady)

      // A real change of project switches the table and the rooms.
      await wrapper.setProps({ project: 2, showRoom: true, keep: true })
      await waitFor(() => text(wrapper, 'rows').split(' ').length === 20 && text(wrapper, 'rows').startsWith('1:'), 15_000, 'project 2')
      expect(stack.realtime.stats.joins).toBeGreaterThan(joinsSteady)
    } finally {
      wrapper.unmount()
    }
    // Everything released: after the grace periods (live table / presence, then their channels) nothing is held.
    await waitFor(() => {
      const { channels, roomHolders, changeLeases, shared, rooms } = sync.diagnostics()
      return channels + roomHolders + changeLeases + shared + rooms === 0
    }, 10_000, 'every count back to zero')
    await waitFor(() => stack.realtime.snapshot().channels === 0, 10_000, 'the server holding no channel')
    await sync.destroy()
    expect(sync.diagnostics().timers).toBe(0)
    await supabase.removeAllChannels()
    await admin.removeAllChannels()
  }, 120_000)
})
