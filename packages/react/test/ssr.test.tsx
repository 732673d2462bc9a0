// @vitest-environment node
/**
 * Server rendering with react-dom/server in Node: nothing connects, nothing throws, snapshots are constant.
 */
import { describe, expect, it } from 'vitest'
import { renderToString } from 'react-dom/server'
import { createClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { createSupasync } from '@supasync/core'
import { createQueue, memoryStorage, supabaseExecutor } from '@supasync/queue'
import { SupasyncProvider, useBroadcast, useChannel, useChanges, useConnectionStatus, useLiveTable, useLiveTableSuspense, usePresence, useQueueStatus } from '../src/index.js'

function App() {
  const status = useConnectionStatus()
  const channel = useChannel('wedding:1')
  useBroadcast('wedding:1', 'running-late', () => {})
  const changes = useChanges({ table: 'milestone_events' }, () => {})
  const presence = usePresence('wedding:1', { key: 'dj', state: { name: 'DJ' } })
  const live = useLiveTable({ table: 'components', filter: { project_id: 1 } })
  const queue = useQueueStatus()
  return (
    <p>
      {status.state}|{channel.status}|{changes.status}|{presence.members.length}:{presence.status}|{live.rows.size}:{live.freshness.mode}:{String(live.loading)}|{queue.pending}
    </p>
  )
}

describe('server rendering', () => {
  it('renders constant snapshots, opens no socket and holds nothing', async () => {
    // An address nothing listens on: any attempt to connect would show in the realtime client.
    const supabase = createClient('http://127.0.0.1:9', 'anon', { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } })
    const sync = createSupasync(supabase)
    const queue = createQueue({ executor: supabaseExecutor(supabase), storage: memoryStorage() })
    const html = renderToString(
      <SupasyncProvider sync={sync} queue={queue}>
        <App />
      </SupasyncProvider>,
    )
    expect(html.replace(/<!-- -->/g, '')).toBe('<p>connecting|joining|pending|0:joining|0:catching-up:true|0</p>')
    // The same markup twice: nothing rendered depends on time or on a first render's side effects.
    expect(renderToString(<SupasyncProvider sync={sync} queue={queue}><App /></SupasyncProvider>)).toBe(html)
    expect(supabase.realtime.isConnected() || supabase.realtime.isConnecting()).toBe(false)
    expect(supabase.realtime.getChannels()).toHaveLength(0)
    expect(sync.diagnostics()).toMatchObject({ rooms: 0, channels: 0, changeLeases: 0, shared: 0, timers: 0 })
    queue.destroy()
    await sync.destroy()
  })

  it('useLiveTableSuspense says it is client-only', () => {
    const supabase = createClient('http://127.0.0.1:9', 'anon', { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } })
    const sync = createSupasync(supabase)
    function Suspended() {
      useLiveTableSuspense({ table: 'components' })
      return null
    }
    expect(() => renderToString(<SupasyncProvider sync={sync}><Suspended /></SupasyncProvider>)).toThrow(/client-only/)
    expect(sync.diagnostics().shared).toBe(0)
    void sync.destroy()
  })
})
