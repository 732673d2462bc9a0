// @vitest-environment node
/**
 * Server rendering with vue/server-renderer over the unmodified supabase-js client: the composables open nothing
 * (no channel, no socket, no read, no timer), throw nothing, and render constant initial values.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSSRApp, defineComponent, h, onServerPrefetch } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { createClient, type RealtimeClientOptions } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { createSupasync, type Supasync } from '@supasync/core'
import { createQueue, memoryStorage } from '@supasync/queue'
import { SupasyncPlugin, useBroadcast, useChannel, useChanges, useConnectionStatus, useLiveTable, usePresence, useQueueStatus } from '../src/index.js'

const App = defineComponent({
  setup() {
    const status = useConnectionStatus()
    const state = useConnectionStatus((value) => value.state)
    const room = useChannel('wedding:1', { broadcast: { ack: true } })
    const broadcast = useBroadcast('wedding:1', 'late', () => {})
    const disabled = useChannel(null)
    const changes = useChanges({ table: 'components', filter: 'project_id=eq.1' }, () => {})
    const presence = usePresence('wedding:1', { key: 'photographer', state: { name: 'Ann' } })
    const live = useLiveTable<{ id: number; tag: string }>({ table: 'components', filter: { project_id: 1 } })
    const one = useLiveTable<{ id: number; tag: string }, string>({ table: 'components' }, { select: (rows) => `${rows.size} rows` })
    const queue = useQueueStatus()
    // Safe on the server: resolves at once with the initial value and opens nothing.
    onServerPrefetch(async () => {
      await live.suspense()
      await one.suspense()
    })
    return () =>
      h('main', [
        h('p', `${status.value.state}|${state.value}|${status.value.channels}`),
        h('p', `${room.status.value}|${broadcast.status.value}|${disabled.status.value}`),
        h('p', `${changes.status.value}|${String(changes.error.value)}`),
        h('p', `${presence.status.value}|${presence.members.value.length}|${presence.typing.value.length}`),
        h('p', `${live.rows.value.size}|${String(live.loading.value)}|${live.freshness.value.mode}|${String(live.table.value)}|${one.rows.value}`),
        h('p', `${queue.value.pending}|${queue.value.failed}`),
      ])
  },
})

const EXPECTED =
  '<main><p>connecting|connecting|0</p><p>joining|joining|closed</p><p>pending|undefined</p><p>joining|0|0</p><p>0|true|catching-up|undefined|0 rows</p><p>0|0</p></main>'

/** The transport realtime-js needs on Node 20, counting the sockets it opens (none may be opened here). */
let sockets = 0
class CountingSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args)
    sockets++
  }
}
const realtime = { transport: CountingSocket as unknown as RealtimeClientOptions['transport'] }

let open: Supasync[] = []
afterEach(async () => {
  for (const sync of open.splice(0)) await sync.destroy()
})

describe('SSR (renderToString)', () => {
  it('opens no channel or socket, reads nothing, throws nothing, and renders constant initial values', async () => {
    const fetch = vi.fn(async () => new Response('{}', { status: 500 }))
    const supabase = createClient('http://127.0.0.1:9', 'anon-key', { auth: { persistSession: false, autoRefreshToken: false }, global: { fetch }, realtime })
    const sync = createSupasync(supabase)
    open.push(sync)
    const queue = createQueue({ executor: { execute: async () => {} }, storage: memoryStorage() })
    const baseline = sync.diagnostics()
    const render = () => renderToString(createSSRApp(App).use(SupasyncPlugin, { sync, queue }))
    const first = await render()
    const second = await render()
    expect(first).toBe(EXPECTED)
    expect(second).toBe(first)
    expect(sync.diagnostics()).toEqual(baseline)
    expect(sync.diagnostics().channels).toBe(0)
    expect(supabase.realtime.isConnected() || supabase.realtime.isConnecting()).toBe(false)
    expect(supabase.getChannels()).toEqual([])
    expect(fetch).not.toHaveBeenCalled()
    expect(sockets).toBe(0)
    queue.destroy()
  })

  it('no warning is logged during the server render', async () => {
    const supabase = createClient('http://127.0.0.1:9', 'anon-key', { auth: { persistSession: false, autoRefreshToken: false }, realtime })
    const sync = createSupasync(supabase)
    open.push(sync)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      await renderToString(createSSRApp(App).use(SupasyncPlugin, { sync, queue: createQueue({ executor: { execute: async () => {} }, storage: memoryStorage() }) }))
      expect(warn).not.toHaveBeenCalled()
      expect(error).not.toHaveBeenCalled()
    } finally {
      warn.mockRestore()
      error.mockRestore()
    }
  })
})
