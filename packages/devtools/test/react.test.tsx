// @vitest-environment happy-dom
/**
 * `<SupasyncDevtools />` for React: it mounts the lazily loaded panel into its host under StrictMode with one
 * subscription, follows a new source, releases everything on unmount, throws bad props to an error boundary, and
 * renders nothing in production (the /react/production entry still shows it).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, render } from '@testing-library/react'
import { StrictMode, type ReactNode } from 'react'
import { ErrorBoundary } from '../../react/test/ErrorBoundary.js'
import { SupasyncDevtools } from '../src/react.js'
import { fakeSource, snapshot, type FakeSource } from './fakes.js'
import { until as untilPlain } from './until.js'

afterEach(() => {
  cleanup()
  vi.unstubAllEnvs()
})

/** Waits inside act(), so React applies what the lazy mount sets (a failure to throw) before each check. */
const until = (what: string, check: () => boolean) => untilPlain(what, check, { pause: () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 5))) })

const strict = (ui: ReactNode) => render(<StrictMode>{ui}</StrictMode>)

/** The panel root inside the host `<div data-supasync-devtools>` of `container`, once mounted. */
function panelIn(container: HTMLElement): Element | null {
  return container.querySelector('[data-supasync-devtools]')?.shadowRoot?.querySelector('[data-supasync-devtools-panel]') ?? null
}

describe('<SupasyncDevtools /> (React)', () => {
  it('renders an empty host, then mounts the panel there once it has loaded: one subscription under StrictMode', async () => {
    const source = fakeSource()
    const view = strict(<SupasyncDevtools source={source} initialIsOpen position="top-left" />)
    const hostElement = view.container.querySelector('[data-supasync-devtools]')!
    expect(hostElement.children).toHaveLength(0)
    await until('the panel to mount', () => panelIn(view.container) !== null)
    const panel = panelIn(view.container)!
    expect(panel.getAttribute('data-open')).toBe('true')
    expect(panel.classList.contains('pos-top-left')).toBe(true)
    expect(source.listeners).toBe(1)
    view.unmount()
    expect(source.listeners).toBe(0)
  })

  it('takes the instance as sync; a new source unmounts the old panel and mounts one on the new source', async () => {
    const first = fakeSource()
    const second = fakeSource(snapshot({ queues: [] }))
    const view = strict(<SupasyncDevtools sync={first} />)
    await until('the panel on the first source', () => first.listeners === 1)
    view.rerender(
      <StrictMode>
        <SupasyncDevtools sync={second} />
      </StrictMode>,
    )
    await until('the panel on the second source', () => second.listeners === 1)
    expect(first.listeners).toBe(0)
    view.unmount()
    expect(second.listeners).toBe(0)
  })

  it('unmounted before the panel loaded: nothing is mounted when it arrives', async () => {
    const early = fakeSource()
    const late = fakeSource()
    const gone = render(<SupasyncDevtools source={early} />)
    gone.unmount()
    // The same chunk resolves for both; the later one mounting shows the earlier one had its turn.
    const view = render(<SupasyncDevtools source={late} />)
    await until('the later panel to mount', () => late.listeners === 1)
    expect(early.listeners).toBe(0)
    expect(early.inspectCalls).toBe(0)
    view.unmount()
  })

  it('a wrong source or bad options reach the nearest error boundary with the fix, once the panel has loaded', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const caught = async (ui: ReactNode) => {
      const view = render(<ErrorBoundary>{ui}</ErrorBoundary>)
      await until('the refusal to reach the boundary', () => view.container.textContent?.startsWith('error:') ?? false)
      return view.container.textContent
    }
    expect(await caught(<SupasyncDevtools sync={{} as never} />)).toContain('<SupasyncDevtools sync={…}>: the source has no inspect() / subscribeInspect(listener)')
    expect(await caught(<SupasyncDevtools sync={fakeSource()} source={fakeSource()} />)).toContain('give either sync or source, not both')
    expect(await caught(<SupasyncDevtools />)).toContain('expected the supasync instance')
    expect(await caught(<SupasyncDevtools source={fakeSource()} position={'middle' as never} />)).toContain('position "middle" is not supported')
  })
})

describe('in production', () => {
  async function load(entry: '../src/react.js' | '../src/reactProduction.js'): Promise<typeof import('../src/react.js')> {
    vi.stubEnv('NODE_ENV', 'production')
    vi.resetModules()
    return import(entry)
  }

  it('renders nothing, subscribes to nothing and loads no panel', async () => {
    const { SupasyncDevtools: Production } = await load('../src/react.js')
    const source: FakeSource = fakeSource()
    const view = strict(<Production sync={source} initialIsOpen />)
    // The development build would have mounted by the time this one does (same chunk, already loaded above).
    const control = fakeSource()
    const dev = render(<SupasyncDevtools sync={control} />)
    await until('the development component to mount', () => control.listeners === 1)
    expect(view.container.innerHTML).toBe('')
    expect([source.listeners, source.inspectCalls]).toEqual([0, 0])
    dev.unmount()
  })

  it('@supasync/devtools/react/production shows the panel anyway', async () => {
    const { SupasyncDevtools: Deliberate } = await load('../src/reactProduction.js')
    const source = fakeSource()
    const view = strict(<Deliberate sync={source} initialIsOpen />)
    await until('the panel to mount', () => panelIn(view.container) !== null)
    expect(source.listeners).toBe(1)
    view.unmount()
    expect(source.listeners).toBe(0)
  })

  it('the choice is made when the module loads: outside production the same import is the real component', async () => {
    vi.stubEnv('NODE_ENV', 'development')
    vi.resetModules()
    const { SupasyncDevtools: Development } = (await import('../src/react.js')) as typeof import('../src/react.js')
    const { ReactDevtools } = await import('../src/wrappers/ReactDevtools.js')
    expect(Development).toBe(ReactDevtools)
    await act(async () => {})
  })
})
