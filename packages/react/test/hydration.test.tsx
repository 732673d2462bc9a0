// @vitest-environment happy-dom
/**
 * Server markup hydrated on the client: the hydration pass renders the server snapshots (no mismatch), and the
 * claims are taken only after it, in effects.
 */
import { describe, expect, it } from 'vitest'
import { act } from '@testing-library/react'
import { hydrateRoot } from 'react-dom/client'
import { renderToString } from 'react-dom/server'
import { StrictMode } from 'react'
import { SupasyncProvider, useChannel, useConnectionStatus } from '../src/index.js'
import { fakeSupasync } from '../../core/test/fakeRealtime.js'

describe('hydrateRoot after renderToString', () => {
  it('hydrates without a mismatch, shows connecting during hydration, then joins once', async () => {
    const { sync, realtime, advance } = fakeSupasync()
    const seen: string[] = []
    function App() {
      const { state } = useConnectionStatus()
      const { status } = useChannel('wedding:1')
      seen.push(`${state}/${status}`)
      return <p>{state}/{status}</p>
    }
    const tree = (
      <StrictMode>
        <SupasyncProvider sync={sync}>
          <App />
        </SupasyncProvider>
      </StrictMode>
    )
    const html = renderToString(tree)
    expect(html).toBe('<p>connecting<!-- -->/<!-- -->joining</p>')
    expect(realtime.subscribes).toBe(0)
    seen.length = 0
    const container = document.createElement('div')
    container.innerHTML = html
    document.body.appendChild(container)
    const errors: unknown[] = []
    let root: ReturnType<typeof hydrateRoot> | undefined
    await act(async () => {
      root = hydrateRoot(container, tree, { onRecoverableError: (error) => errors.push(error) })
    })
    expect(errors).toEqual([])
    // The hydration pass rendered the server snapshot, whatever the client store said.
    expect(seen[0]).toBe('connecting/joining')
    await act(() => advance(100))
    expect(realtime.subscribes).toBe(1)
    act(() => root!.unmount())
    await act(() => advance(1500))
    expect(sync.diagnostics()).toMatchObject({ rooms: 0, channels: 0 })
    await sync.destroy()
  })
})
