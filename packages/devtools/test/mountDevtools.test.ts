// @vitest-environment happy-dom
/**
 * mountDevtools: the shadow root, redraws throttled to animation frames, what survives a redraw (tab, scroll, focus),
 * the dead-letter actions, bad input, and that unmount releases every listener, frame and timer.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { SupasyncError } from '@supasync/core'
import { mountDevtools } from '../src/mountDevtools.js'
import { defaultDevtoolsPorts, FALLBACK_FRAME_MS, type FrameScope } from '../src/ports.js'
import { click, deadLetter, fakePorts, fakeSource, queue, shadowOf, snapshot, T0, text } from './fakes.js'

const unmounts: (() => void)[] = []
afterEach(() => {
  for (const unmount of unmounts.splice(0)) unmount()
  document.body.replaceChildren()
  vi.useRealTimers()
})

function host(): HTMLElement {
  const element = document.createElement('div')
  document.body.append(element)
  return element
}

function mount(...args: Parameters<typeof mountDevtools>): () => void {
  const unmount = mountDevtools(...args)
  unmounts.push(unmount)
  return unmount
}

/** What a call throws. */
function thrown(run: () => unknown): SupasyncError {
  try {
    run()
  } catch (error) {
    return error as SupasyncError
  }
  throw new Error('expected it to throw')
}

/** Resolves once pending promise callbacks (an action's outcome) have run. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

describe('mounting', () => {
  it('draws into an open shadow root with its own stylesheet; the page gets no style and no element besides the host', () => {
    const element = host()
    mount(element, fakeSource(), { ports: fakePorts() })
    const shadow = shadowOf(element)
    expect(shadow.mode).toBe('open')
    expect(shadow.querySelector('style')?.textContent).toContain(':host')
    expect(shadow.querySelector('[data-supasync-devtools-panel]')).not.toBeNull()
    expect(document.head.querySelectorAll('style')).toHaveLength(0)
    expect(document.body.children).toHaveLength(1)
    expect(element.children).toHaveLength(0)
  })

  it("uses the element's existing open shadow root, and can mount there again after an unmount", () => {
    const element = host()
    const existing = element.attachShadow({ mode: 'open' })
    existing.append(document.createElement('p'))
    const unmount = mountDevtools(element, fakeSource(), { ports: fakePorts() })
    expect(element.shadowRoot).toBe(existing)
    expect(existing.querySelector('p')).toBeNull()
    unmount()
    expect(existing.childNodes).toHaveLength(0)
    mount(element, fakeSource(), { ports: fakePorts() })
    expect(existing.querySelector('[data-supasync-devtools-panel]')).not.toBeNull()
  })

  it('starts closed as a toggle button; clicking it opens the first tab, the close button closes it', () => {
    const element = host()
    mount(element, fakeSource(), { ports: fakePorts() })
    expect(shadowOf(element).querySelector('[data-open]')?.getAttribute('data-open')).toBe('false')
    click(element, 'open')
    expect(shadowOf(element).querySelector('[role="tab"][aria-selected="true"]')?.getAttribute('data-tab')).toBe('connection')
    expect(shadowOf(element).activeElement?.getAttribute('data-key')).toBe('tab:connection')
    click(element, 'close')
    expect(shadowOf(element).querySelector('[data-open]')?.getAttribute('data-open')).toBe('false')
    expect(shadowOf(element).activeElement?.getAttribute('data-key')).toBe('open')
  })

  it('bad input fails at once with what to pass instead', () => {
    const source = fakeSource()
    expect(thrown(() => mountDevtools(null as never, source))).toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringContaining('element must be a DOM element') })
    expect(thrown(() => mountDevtools(host(), {} as never)).message).toMatch(/no inspect\(\) \/ subscribeInspect\(listener\).*createSupasync\(supabase\)/)
    expect(thrown(() => mountDevtools(host(), undefined as never)).message).toContain('expected the supasync instance')
    expect(thrown(() => mountDevtools(host(), { ...source, inspect: source.inspect, subscribeInspect: source.subscribeInspect, inspectActions: {} as never })).message).toContain('inspectActions must have retryDeadLetter')
    expect(thrown(() => mountDevtools(host(), source, { position: 'middle' as never })).message).toContain("use one of 'bottom-right', 'bottom-left', 'top-right', 'top-left', 'inline'")
    expect(thrown(() => mountDevtools(host(), source, { initialTab: 'pool' as never })).message).toContain("initialTab \"pool\" is not a tab; use one of 'connection'")
    expect(thrown(() => mountDevtools(host(), source, { refreshMs: -1 })).message).toContain('refreshMs must be a number of ms ≥ 0')
    expect(thrown(() => mountDevtools(host(), source, { initialIsOpen: 'yes' as never })).message).toContain('initialIsOpen must be true or false')
    const closed = host()
    closed.attachShadow({ mode: 'closed' })
    expect(thrown(() => mountDevtools(closed, source)).message).toMatch(/<div> cannot host the panel's shadow root \(.*already hosts a shadow tree\.?\)\. Mount into an element of your own with no closed shadow root/)
    const element = host()
    mount(element, source, { ports: fakePorts() })
    expect(thrown(() => mountDevtools(element, source)).message).toContain('already shows a panel')
    // None of the refused mounts subscribed.
    expect(source.listeners).toBe(1)
    expect(thrown(() => mountDevtools(host(), {} as never))).toBeInstanceOf(SupasyncError)
  })

  it('a subscribeInspect that does not return an unsubscribe function is refused, and the mount leaves nothing behind', () => {
    const ports = fakePorts()
    const element = host()
    const source = { inspect: () => snapshot(), subscribeInspect: () => undefined as never }
    expect(thrown(() => mountDevtools(element, source, { ports, initialIsOpen: true })).message).toContain('must return a function')
    expect(shadowOf(element).childNodes).toHaveLength(0)
    expect(ports.timers).toBe(0)
    // The host is free again.
    mount(element, fakeSource(), { ports })
  })

  it('an inspect() that throws shows the error in the panel instead of breaking the page', () => {
    const element = host()
    mount(element, { inspect: () => { throw new Error('inspect exploded') }, subscribeInspect: () => () => {} }, { ports: fakePorts(), initialIsOpen: true })
    expect(shadowOf(element).querySelector('[role="alert"]')?.textContent).toBe('supasync devtools: inspect() threw Error: inspect exploded')
  })
})

describe('redraws', () => {
  it('many notifications in one frame cost one frame request, one inspect() and one redraw', () => {
    const ports = fakePorts()
    const source = fakeSource()
    const element = host()
    mount(element, source, { ports, initialIsOpen: true, refreshMs: 0 })
    expect(source.inspectCalls).toBe(1)
    const drawn = shadowOf(element).querySelector('[data-supasync-devtools-panel]')
    for (let index = 0; index < 100; index++) source.notify()
    expect(ports.framesRequested).toBe(1)
    expect(source.inspectCalls).toBe(1)
    expect(shadowOf(element).querySelector('[data-supasync-devtools-panel]')).toBe(drawn)
    expect(ports.runFrames()).toBe(1)
    expect(source.inspectCalls).toBe(2)
    expect(shadowOf(element).querySelector('[data-supasync-devtools-panel]')).not.toBe(drawn)
    // Quiet until the next notification; then one more frame.
    expect(ports.runFrames()).toBe(0)
    source.notify()
    source.notify()
    expect(ports.runFrames()).toBe(1)
    expect(source.inspectCalls).toBe(3)
  })

  it('draws the latest snapshot when the frame runs', () => {
    const ports = fakePorts()
    const source = fakeSource()
    const element = host()
    mount(element, source, { ports, initialIsOpen: true, initialTab: 'queue' })
    source.set(snapshot({ queues: [queue({ name: 'first' })] }))
    source.set(snapshot({ queues: [queue({ name: 'second' })] }))
    ports.runFrames()
    expect(shadowOf(element).querySelector('.queue h3')?.textContent).toContain('second')
  })

  it('the selected tab survives redraws; a click on a tab draws at once and drops the frame already requested', () => {
    const ports = fakePorts()
    const source = fakeSource()
    const element = host()
    mount(element, source, { ports, initialIsOpen: true })
    source.notify()
    expect(ports.pendingFrames).toBe(1)
    click(element, 'tab:presence')
    expect(ports.pendingFrames).toBe(0)
    expect(shadowOf(element).querySelector('.tab-presence')).not.toBeNull()
    source.notify()
    ports.runFrames()
    expect(shadowOf(element).querySelector('[aria-selected="true"]')?.getAttribute('data-tab')).toBe('presence')
    expect(shadowOf(element).activeElement?.getAttribute('data-key')).toBe('tab:presence')
  })

  it('each tab keeps its scroll position across redraws and across switching tabs', () => {
    const ports = fakePorts()
    const source = fakeSource()
    const element = host()
    mount(element, source, { ports, initialIsOpen: true, initialTab: 'channels' })
    const body = () => shadowOf(element).querySelector<HTMLElement>('[data-body]')!
    body().scrollTop = 120
    source.notify()
    ports.runFrames()
    expect(body().scrollTop).toBe(120)
    click(element, 'tab:queue')
    expect(body().scrollTop).toBe(0)
    body().scrollTop = 40
    click(element, 'tab:channels')
    expect(body().scrollTop).toBe(120)
    click(element, 'tab:queue')
    expect(body().scrollTop).toBe(40)
  })

  it('while open, ages keep counting on a quiet instance: one redraw per refreshMs; closed, no timer runs', () => {
    const ports = fakePorts()
    const source = fakeSource()
    const element = host()
    mount(element, source, { ports, initialIsOpen: true, refreshMs: 1000 })
    expect(ports.timers).toBe(1)
    expect(text(element)).toContain('Last heartbeat reply3.0 s ago')
    ports.advance(2000)
    ports.runFrames()
    expect(text(element)).toContain('Last heartbeat reply5.0 s ago')
    click(element, 'close')
    expect(ports.timers).toBe(0)
    click(element, 'open')
    expect(ports.timers).toBe(1)
    const still = fakePorts()
    mount(host(), fakeSource(), { ports: still, initialIsOpen: true, refreshMs: 0 })
    expect(still.timers).toBe(0)
  })
})

describe('dead-letter actions', () => {
  const twoQueues = () =>
    snapshot({
      queues: [
        queue({ id: 'q-a', name: 'a', deadLetters: [deadLetter({ id: 'd-1' }), deadLetter({ id: 'd-2', description: 'delete components where {"id":"c-9"}', kind: 'delete' })] }),
        queue({ id: 'q-b', name: 'b', deadLetters: [deadLetter({ id: 'd-1' })] }),
      ],
    })
  const key = (action: string, queueId: string, entryId: string) => `${action}:${JSON.stringify([queueId, entryId])}`

  it('Retry calls retryDeadLetter with the queue id and entry id of its row, once, and the button waits for it', async () => {
    const ports = fakePorts()
    const source = fakeSource(twoQueues())
    const finish: (() => void)[] = []
    source.inspectActions.retryDeadLetter.mockImplementation(() => new Promise<void>((resolve) => finish.push(resolve)))
    const element = host()
    mount(element, source, { ports, initialIsOpen: true, initialTab: 'queue' })
    click(element, key('retry', 'q-a', 'd-2'))
    expect(source.inspectActions.retryDeadLetter).toHaveBeenCalledExactlyOnceWith('q-a', 'd-2')
    const busy = shadowOf(element).querySelector<HTMLButtonElement>(`[data-key='${key('retry', 'q-a', 'd-2')}']`)!
    expect(busy.disabled).toBe(true)
    expect(busy.textContent).toBe('Working…')
    // Other rows stay usable, and a second click on the busy one does nothing.
    busy.click()
    expect(source.inspectActions.retryDeadLetter).toHaveBeenCalledTimes(1)
    click(element, key('retry', 'q-b', 'd-1'))
    expect(source.inspectActions.retryDeadLetter).toHaveBeenLastCalledWith('q-b', 'd-1')
    finish[0]!()
    await settle()
    ports.runFrames()
    expect(shadowOf(element).querySelector<HTMLButtonElement>(`[data-key='${key('retry', 'q-a', 'd-2')}']`)!.disabled).toBe(false)
  })

  it('Discard asks once more; Keep cancels, "Discard for good" calls discardDeadLetter with the ids', async () => {
    const ports = fakePorts()
    const source = fakeSource(twoQueues())
    const element = host()
    mount(element, source, { ports, initialIsOpen: true, initialTab: 'queue' })
    click(element, key('discard', 'q-b', 'd-1'))
    expect(source.inspectActions.discardDeadLetter).not.toHaveBeenCalled()
    expect(text(element)).toContain('Drop this write for good?')
    expect(shadowOf(element).activeElement?.getAttribute('data-key')).toBe(key('keep', 'q-b', 'd-1'))
    click(element, key('keep', 'q-b', 'd-1'))
    expect(text(element)).not.toContain('Drop this write for good?')
    click(element, key('discard', 'q-b', 'd-1'))
    click(element, key('confirm-discard', 'q-b', 'd-1'))
    expect(source.inspectActions.discardDeadLetter).toHaveBeenCalledExactlyOnceWith('q-b', 'd-1')
    expect(source.inspectActions.retryDeadLetter).not.toHaveBeenCalled()
  })

  it("a refused action shows the queue's message by its dead letter; it goes when the dead letter does", async () => {
    const ports = fakePorts()
    const source = fakeSource(twoQueues())
    source.inspectActions.retryDeadLetter.mockRejectedValue(new Error('Entry d-2 is not a dead letter (UNKNOWN_ENTRY)'))
    source.inspectActions.discardDeadLetter.mockImplementation(() => {
      throw new Error('synchronous failure')
    })
    const element = host()
    mount(element, source, { ports, initialIsOpen: true, initialTab: 'queue' })
    click(element, key('retry', 'q-a', 'd-2'))
    await settle()
    ports.runFrames()
    const alert = shadowOf(element).querySelector('.dead-letter[data-entry="d-2"] [role="alert"]')
    expect(alert?.textContent).toBe('Retry failed: Entry d-2 is not a dead letter (UNKNOWN_ENTRY)')
    click(element, key('discard', 'q-a', 'd-1'))
    click(element, key('confirm-discard', 'q-a', 'd-1'))
    await settle()
    ports.runFrames()
    expect(shadowOf(element).querySelector('.dead-letter[data-entry="d-1"] [role="alert"]')?.textContent).toBe('Discard failed: synchronous failure')
    // The queue dropped d-2 (someone discarded it elsewhere): its error goes with it.
    source.set(snapshot({ queues: [queue({ id: 'q-a', deadLetters: [deadLetter({ id: 'd-1' })] })] }))
    ports.runFrames()
    expect(shadowOf(element).querySelectorAll('[role="alert"]')).toHaveLength(1)
    source.set(twoQueues())
    ports.runFrames()
    expect(shadowOf(element).querySelector('.dead-letter[data-entry="d-2"] [role="alert"]')).toBeNull()
  })
})

describe('unmount', () => {
  it('releases the source listener, the frame, the timer and the click listener, and empties the shadow root; twice is harmless', async () => {
    const ports = fakePorts()
    const source = fakeSource()
    const element = host()
    const unmount = mountDevtools(element, source, { ports, initialIsOpen: true, initialTab: 'queue' })
    expect(source.listeners).toBe(1)
    source.notify()
    expect([ports.pendingFrames, ports.timers]).toEqual([1, 1])
    const container = shadowOf(element).querySelector('[data-supasync-devtools-panel]')!.parentElement!
    const retry = container.querySelector<HTMLElement>('[data-action="retry"]')!
    unmount()
    expect([source.listeners, ports.pendingFrames, ports.timers]).toEqual([0, 0, 0])
    expect(shadowOf(element).childNodes).toHaveLength(0)
    // The detached tree no longer reaches the actions: its click listener is gone.
    retry.click()
    expect(source.inspectActions.retryDeadLetter).not.toHaveBeenCalled()
    unmount()
    expect(source.listeners).toBe(0)
  })

  it('an action that settles after unmount changes nothing and requests no frame', async () => {
    const ports = fakePorts()
    const source = fakeSource()
    let fail!: (error: Error) => void
    source.inspectActions.retryDeadLetter.mockImplementation(() => new Promise<void>((_, reject) => (fail = reject)))
    const element = host()
    const unmount = mountDevtools(element, source, { ports, initialIsOpen: true, initialTab: 'queue' })
    click(element, `retry:${JSON.stringify(['q-main', 'd-1'])}`)
    unmount()
    fail(new Error('late'))
    await settle()
    expect(ports.pendingFrames).toBe(0)
    expect(shadowOf(element).childNodes).toHaveLength(0)
  })
})

describe('default ports', () => {
  function scope(withFrames: boolean) {
    const calls: string[] = []
    const value: FrameScope = {
      setTimeout: (callback, ms) => (calls.push(`setTimeout ${ms}`), globalThis.setTimeout(callback, ms)),
      clearTimeout: (handle) => (calls.push('clearTimeout'), globalThis.clearTimeout(handle)),
      setInterval: (callback, ms) => (calls.push(`setInterval ${ms}`), globalThis.setInterval(callback, ms)),
      clearInterval: (handle) => (calls.push('clearInterval'), globalThis.clearInterval(handle)),
    }
    if (withFrames) {
      value.requestAnimationFrame = (callback) => (calls.push('requestAnimationFrame'), globalThis.setTimeout(() => callback(0), 5) as unknown as number)
      value.cancelAnimationFrame = (handle) => (calls.push('cancelAnimationFrame'), globalThis.clearTimeout(handle))
    }
    return { value, calls }
  }

  it('frames come from requestAnimationFrame, or a 16 ms timeout without it; both can be cancelled', () => {
    vi.useFakeTimers()
    for (const withFrames of [true, false]) {
      const { value, calls } = scope(withFrames)
      const ports = defaultDevtoolsPorts(value)
      const ran = vi.fn()
      ports.requestFrame(ran)
      vi.advanceTimersByTime(FALLBACK_FRAME_MS)
      expect(ran).toHaveBeenCalledTimes(1)
      ports.requestFrame(ran)()
      vi.advanceTimersByTime(100)
      expect(ran).toHaveBeenCalledTimes(1)
      expect(calls).toEqual(withFrames ? ['requestAnimationFrame', 'requestAnimationFrame', 'cancelAnimationFrame'] : [`setTimeout ${FALLBACK_FRAME_MS}`, `setTimeout ${FALLBACK_FRAME_MS}`, 'clearTimeout'])
      const tick = vi.fn()
      const stop = ports.every(1000, tick)
      vi.advanceTimersByTime(3000)
      stop()
      vi.advanceTimersByTime(3000)
      expect(tick).toHaveBeenCalledTimes(3)
    }
  })

  it('a panel on the default ports draws in the next frame and leaves no timer after unmount', () => {
    vi.useFakeTimers({ now: T0 })
    const source = fakeSource()
    const element = host()
    const unmount = mountDevtools(element, source, { initialIsOpen: true })
    const drawn = shadowOf(element).querySelector('[data-supasync-devtools-panel]')
    source.notify()
    vi.advanceTimersByTime(50)
    expect(shadowOf(element).querySelector('[data-supasync-devtools-panel]')).not.toBe(drawn)
    source.notify()
    unmount()
    expect(vi.getTimerCount()).toBe(0)
  })
})
