// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { render, renderHook } from '@testing-library/react'
import { useState } from 'react'
import { SupasyncError, type ChangePayload } from '@supasync/core'
import { SupasyncProvider, useBroadcast, useChannel, useChanges, useConnectionStatus, useSupasync } from '../src/index.js'
import { act, broadcast, world } from './setup.js'

describe('SupasyncProvider', () => {
  it('a hook without a provider throws an error that says how to fix it', () => {
    expect(() => renderHook(() => useSupasync())).toThrow(/wrap the app in <SupasyncProvider sync=\{createSupasync\(supabase\)\}>/)
    expect(() => renderHook(() => useConnectionStatus())).toThrow(SupasyncError)
  })

  it('rejects a sync that is not a supasync instance', () => {
    expect(() => render(<SupasyncProvider sync={{} as never}>x</SupasyncProvider>)).toThrow(/instance from createSupasync/)
  })
})

describe('useChannel under StrictMode', () => {
  it('one join per topic: StrictMode and an unmount + remount within the grace period cost no leave and no join', async () => {
    const w = world()
    function Room() {
      const { status } = useChannel('wedding:42', { broadcast: { ack: true } })
      return <span>{status}</span>
    }
    const view = w.mount(<Room />)
    await w.advance(100)
    expect(w.realtime.subscribes).toBe(1)
    await w.joinAll()
    expect(view.container.textContent).toBe('joined')
    view.unmount()
    await w.advance(500)
    const again = w.mount(<Room />)
    await w.advance(100)
    expect(again.container.textContent).toBe('joined')
    expect(w.realtime.subscribes).toBe(1)
    expect(w.realtime.channels).toHaveLength(1)
    again.unmount()
    await w.advance(1500)
    expect(w.realtime.channels).toHaveLength(0)
    expect(w.sync.diagnostics()).toMatchObject({ rooms: 0, roomHolders: 0, roomListeners: 0, channels: 0, timers: expect.any(Number) })
    await w.sync.destroy()
  })

  it('an inline options object equal to the last keeps the room; a new topic switches, releasing the old after the grace period', async () => {
    const w = world()
    let setTopic: (topic: string) => void = () => {}
    let bump: () => void = () => {}
    function Room() {
      const [topic, set] = useState('a')
      const [, setN] = useState(0)
      setTopic = set
      bump = () => setN((n) => n + 1)
      const { status } = useChannel(topic, { broadcast: { self: false } }) // a new object on every render
      return <span>{topic}:{status}</span>
    }
    const view = w.mount(<Room />)
    await w.advance(100)
    await w.joinAll()
    for (let i = 0; i < 5; i++) await act(() => bump())
    expect(w.realtime.subscribes).toBe(1)
    await act(() => setTopic('b'))
    await w.advance(100)
    expect(w.realtime.subscribes).toBe(2)
    expect(w.realtime.byTopic('a')[0]!.removed).toBe(false) // still within the grace period
    await w.advance(1000)
    expect(w.realtime.byTopic('a')[0]!.removed).toBe(true)
    expect(w.realtime.byTopic('b')[0]!.removed).toBe(false)
    view.unmount()
    await w.advance(1100)
    expect(w.sync.diagnostics()).toMatchObject({ rooms: 0, roomHolders: 0, channels: 0 })
    await w.sync.destroy()
  })

  it('null disables it: no channel, status closed, send rejects with a clear error', async () => {
    const w = world()
    const hook = renderHookIn(w, () => useChannel(null))
    await w.advance(100)
    expect(hook.current.status).toBe('closed')
    await expect(hook.current.send('x', 1)).rejects.toThrow(/disabled/)
    expect(w.realtime.subscribes).toBe(0)
    await w.sync.destroy()
  })
})

describe('useBroadcast', () => {
  it('calls the newest inline handler and never resubscribes for a new one', async () => {
    const w = world()
    const calls: string[] = []
    let bump: () => void = () => {}
    function Listener() {
      const [n, setN] = useState(0)
      bump = () => setN((value) => value + 1)
      useBroadcast<{ vendor: string }>('wedding:42', 'running-late', (payload) => calls.push(`${n}:${payload.vendor}`))
      return null
    }
    w.mount(<Listener />)
    await w.advance(100)
    await w.joinAll()
    const channel = w.realtime.channels[0]!
    const listeners = channel.listeners.length
    broadcast(channel, 'running-late', { vendor: 'dj' })
    for (let i = 0; i < 3; i++) await act(() => bump())
    broadcast(channel, 'running-late', { vendor: 'florist' })
    broadcast(channel, 'other', { vendor: 'nobody' })
    expect(calls).toEqual(['0:dj', '3:florist'])
    expect(w.realtime.subscribes).toBe(1)
    expect(channel.listeners.length).toBe(listeners)
    expect(w.sync.diagnostics().roomListeners).toBe(1)
    await w.sync.destroy()
  })

  it('shares the room of a useChannel with options instead of a CONFIG_CONFLICT', async () => {
    const w = world()
    function Both() {
      const { status } = useChannel('wedding:1', { broadcast: { ack: true } })
      useBroadcast('wedding:1', 'x', () => {})
      return <span>{status}</span>
    }
    w.mount(<Both />)
    await w.advance(100)
    expect(w.realtime.subscribes).toBe(1)
    expect(w.errors).toEqual([])
    await w.sync.destroy()
  })
})

describe('useChanges', () => {
  it('an equal inline spec keeps its lease, a new one switches; the newest callback gets the changes', async () => {
    const w = world()
    const got: string[] = []
    let setProject: (id: number) => void = () => {}
    let bump: () => void = () => {}
    function Feed() {
      const [project, set] = useState(1)
      const [n, setN] = useState(0)
      setProject = set
      bump = () => setN((value) => value + 1)
      const { status } = useChanges({ table: 'events', filter: `project_id=eq.${project}` }, (change) => got.push(`${n}:${String(change.new.id)}`))
      return <span>{status}</span>
    }
    const view = w.mount(<Feed />)
    await w.advance(100)
    for (let i = 0; i < 3; i++) await act(() => bump())
    expect(w.sync.diagnostics()).toMatchObject({ changeLeases: 1, changeBindings: 1 })
    await w.joinAll()
    const channel = w.realtime.channels[0]!
    const deliver = (id: number) => {
      for (const listener of channel.listeners) {
        if (listener.type === 'postgres_changes') {
          ;(listener.callback as (payload: unknown) => void)({ schema: 'public', table: 'events', commit_timestamp: `2026-01-01T00:00:0${id}Z`, eventType: 'INSERT', new: { id, project_id: 1 }, old: {}, errors: null } satisfies Partial<ChangePayload> & Record<string, unknown>)
        }
      }
    }
    deliver(1)
    expect(got).toEqual(['3:1'])
    await act(() => setProject(2))
    await w.advance(100)
    expect(w.sync.diagnostics().changeLeases).toBe(1)
    view.unmount()
    await w.advance(1500)
    expect(w.sync.diagnostics()).toMatchObject({ changeLeases: 0, changeBindings: 0 })
    await w.sync.destroy()
  })

  it('reports a refusal as status error with the fix in the message', async () => {
    const w = world()
    const hook = renderHookIn(w, () => useChanges({ table: 'events' }, () => {}, { onError: () => {} }))
    await w.advance(100)
    await act(async () => {
      const channel = w.realtime.channels[0]!
      channel.joined()
      channel.system({ extension: 'postgres_changes', status: 'error', message: 'Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [schema: public, table: events, filters: []]' })
    })
    await w.advance(100)
    expect(hook.current.status).toBe('error')
    expect(hook.current.error?.message).toMatch(/publication|Realtime/)
    await w.sync.destroy()
  })
})

describe('useConnectionStatus', () => {
  it('follows sync.status, and with a selector re-renders only when the selected value changes', async () => {
    const w = world()
    let renders = 0
    const hook = renderHookIn(w, () => {
      renders++
      return useConnectionStatus((status) => status.state)
    })
    await w.advance(100)
    const before = renders
    expect(typeof hook.current).toBe('string')
    // rtt changes with every heartbeat answer; the selected state does not
    for (let i = 0; i < 3; i++) {
      await act(async () => w.realtime.heartbeatOk(5 + i))
    }
    expect(renders).toBe(before)
    await w.sync.destroy()
  })
})

/** renderHook inside the world's provider; returns a live view of the latest result. */
function renderHookIn<T>(w: ReturnType<typeof world>, hook: () => T): { readonly current: T } {
  const box: { current: T } = { current: undefined as T }
  function Probe() {
    box.current = hook()
    return null
  }
  w.mount(<Probe />)
  return box
}
