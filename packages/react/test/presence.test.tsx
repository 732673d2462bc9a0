// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { Activity, useState } from 'react'
import { usePresence } from '../src/index.js'
import { act, world } from './setup.js'
import type { FakeChannel } from '../../core/test/fakeRealtime.js'

/** The fake server records each track of member "dj" and echoes it into the presence state, as Realtime does. */
function echoTracks(channel: FakeChannel, tracks: unknown[]): void {
  channel.track = (async (payload: unknown) => {
    tracks.push(payload)
    channel.presence = { dj: [{ ...(payload as object), phx_ref: `ref-${tracks.length}` }] }
    queueMicrotask(() => channel.presenceEvent('sync'))
    return 'ok'
  }) as never
}

describe('usePresence under StrictMode', () => {
  it('one join and one track; an equal inline state sends nothing, a changed one is an update, not a resubscribe', async () => {
    const w = world()
    const tracks: unknown[] = []
    let setName: (name: string) => void = () => {}
    let bump: () => void = () => {}
    function Vendor() {
      const [name, set] = useState('DJ')
      const [, setN] = useState(0)
      setName = set
      bump = () => setN((n) => n + 1)
      const { members, status } = usePresence('wedding:9', { key: 'dj', state: { name } })
      return <span>{status}:{members.map((member) => `${member.key}=${(member.state as { name?: string }).name}`).join(',')}</span>
    }
    const view = w.mount(<Vendor />)
    await w.advance(100)
    const channel = w.realtime.channels[0]!
    echoTracks(channel, tracks)
    await w.joinAll()
    await w.advance(1500)
    expect(w.realtime.subscribes).toBe(1)
    expect(tracks).toHaveLength(1)
    expect(view.container.textContent).toBe('joined:dj=DJ')
    for (let i = 0; i < 3; i++) await act(() => bump())
    await w.advance(1500)
    expect(tracks).toHaveLength(1)
    await act(() => setName('DJ Sam'))
    await w.advance(1500)
    expect(tracks).toHaveLength(2)
    expect(JSON.stringify(tracks[1])).toContain('DJ Sam')
    expect(w.realtime.subscribes).toBe(1)
    expect(view.container.textContent).toBe('joined:dj=DJ Sam')
    view.unmount()
    await w.advance(2000)
    expect(w.sync.diagnostics()).toMatchObject({ shared: 0, rooms: 0, roomHolders: 0, channels: 0 })
    await w.sync.destroy()
  })

  it('null disables it: no channel, no members, status closed', async () => {
    const w = world()
    function Off() {
      const { members, status } = usePresence(null, { key: 'x' })
      return <span>{status}:{members.length}</span>
    }
    const view = w.mount(<Off />)
    await w.advance(100)
    expect(view.container.textContent).toBe('closed:0')
    expect(w.realtime.subscribes).toBe(0)
    await w.sync.destroy()
  })
})

describe('usePresence identity', () => {
  it('a new inline onError each render does not switch rooms', async () => {
    const w = world()
    let bump: () => void = () => {}
    const errors: unknown[] = []
    function Vendor() {
      const [n, setN] = useState(0)
      bump = () => setN((value) => value + 1)
      const { status } = usePresence('wedding:3', { key: 'dj', onError: (error) => errors.push([n, error]) })
      return <span>{status}</span>
    }
    w.mount(<Vendor />)
    await w.advance(100)
    for (let i = 0; i < 3; i++) await act(() => bump())
    await w.advance(100)
    expect(w.realtime.subscribes).toBe(1)
    expect(w.sync.diagnostics().shared).toBe(1)
    await w.sync.destroy()
  })
})

describe('usePresence after its effects were taken down and set up again', () => {
  it('publishes the newest state, not the first render\'s', async () => {
    const w = world()
    const tracks: unknown[] = []
    let setName: (name: string) => void = () => {}
    let setMode: (mode: 'visible' | 'hidden') => void = () => {}
    function Vendor() {
      const [name, set] = useState('DJ')
      setName = set
      const { members } = usePresence('wedding:9', { key: 'dj', state: { name } })
      return <span>{members.length}</span>
    }
    function App() {
      const [mode, set] = useState<'visible' | 'hidden'>('visible')
      setMode = set
      return <Activity mode={mode}><Vendor /></Activity>
    }
    w.mount(<App />)
    await w.advance(100)
    const channel = w.realtime.channels[0]!
    echoTracks(channel, tracks)
    await w.joinAll()
    await w.advance(1500)
    await act(() => setName('DJ Sam'))
    await w.advance(40_000)
    expect(JSON.stringify(tracks.at(-1))).toContain('DJ Sam')
    await act(() => setMode('hidden'))
    await w.advance(100)
    await act(() => setMode('visible'))
    await w.advance(40_000)
    expect(JSON.stringify(tracks.at(-1))).toContain('DJ Sam')
    await w.sync.destroy()
  })
})
