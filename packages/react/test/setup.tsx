import { act, configure, render, type RenderResult } from '@testing-library/react'
import { Profiler, type ReactNode } from 'react'
import type { Queue } from '@supasync/queue'
import type { Supasync } from '@supasync/core'
import { SupasyncProvider } from '../src/index.js'
import { FakeChannel, fakeSupasync, flush } from '../../core/test/fakeRealtime.js'

// Every render in these tests runs under <StrictMode>: effects and subscriptions mount, unmount and mount again.
configure({ reactStrictMode: true })

export { act, flush }

/** A supasync instance on the fake realtime client and a manual clock, and a render helper inside its provider. */
export function world(options: Parameters<typeof fakeSupasync>[0] = {}) {
  const fake = fakeSupasync({ graceMs: 1000, ...options })
  const mount = (ui: ReactNode, queue?: Queue): RenderResult =>
    render(<SupasyncProvider sync={fake.sync} queue={queue}>{ui}</SupasyncProvider>)
  /** Moves the fake clock (and React) forward. */
  const advance = (ms: number) => act(() => fake.advance(ms))
  /** The server accepts every join so far. */
  const joinAll = () => act(async () => {
    for (const channel of fake.realtime.channels) if (channel.state === 'joining') channel.joined()
    await flush()
  })
  return { ...fake, mount, advance, joinAll }
}

/** Plays a broadcast from the server on a fake channel. */
export function broadcast(channel: FakeChannel, event: string, payload: unknown): void {
  for (const listener of channel.listeners) {
    if (listener.type === 'broadcast') (listener.callback as (message: unknown) => void)({ type: 'broadcast', event, payload })
  }
}

/** Counts commits of its subtree (StrictMode's double render of one commit counts once). */
export function Counted({ id, counts, children }: { id: string; counts: Map<string, number>; children: ReactNode }) {
  return (
    <Profiler id={id} onRender={() => counts.set(id, (counts.get(id) ?? 0) + 1)}>
      {children}
    </Profiler>
  )
}

export type { Supasync }
