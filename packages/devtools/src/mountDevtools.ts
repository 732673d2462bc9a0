import { SupasyncError, type InspectSnapshot, type InspectSource } from '@supasync/core'
import { checkInspectSource, DEVTOOLS_TABS, resolveDevtoolsOptions, type DevtoolsTab, type MountDevtoolsOptions } from './options.js'
import { deadLetterKey, initialPanelState, type PanelState } from './PanelState.js'
import { renderPanel, renderSourceError } from './renderPanel.js'
import { PANEL_CSS } from './styles.js'

/** Stops the panel: see {@link mountDevtools}. Idempotent. */
export type UnmountDevtools = () => void

/** Shadow roots with a live panel: a second mount into one would fight the first over its content. */
const mounted = new WeakSet<ShadowRoot>()

const WHERE = 'mountDevtools(element, source, options)'

const invalid = (message: string) => new SupasyncError('INVALID_OPTIONS', `${WHERE}: ${message}`)

/** Every dead letter of a snapshot, by {@link deadLetterKey}: action errors of letters that are gone are dropped. */
function deadLetterKeys(snapshot: InspectSnapshot): Set<string> {
  const keys = new Set<string>()
  for (const queue of snapshot.queues ?? []) for (const letter of queue.deadLetters ?? []) keys.add(deadLetterKey(queue.id, letter.id))
  return keys
}

function openShadowRoot(element: Element): ShadowRoot {
  try {
    return element.attachShadow({ mode: 'open' })
  } catch (error) {
    // <input>, <img> and elements with a closed shadow root refuse one.
    throw invalid(
      `<${element.tagName.toLowerCase()}> cannot host the panel's shadow root (${error instanceof Error ? error.message : String(error)}). ` +
        'Mount into an element of your own with no closed shadow root, such as an empty <div>.',
    )
  }
}

/** The `data-key` of the panel element that has focus, if any. */
function focusedKey(shadow: ShadowRoot): string | undefined {
  let active: Element | null = null
  try {
    active = shadow.activeElement
  } catch {
    // Test DOMs (happy-dom) throw here while focus sits on an element that was removed; browsers move focus to body.
  }
  return active?.getAttribute('data-key') ?? undefined
}

/**
 * Draws what `source` holds (`sync.inspect()`) into an open shadow root on `element` (created, or the element's own
 * if it has one) with no UI framework: a toggle button, and when open, tabs for the connection, channels, live
 * tables, queues and presence. It redraws at most once per animation frame however often the source notifies, keeps
 * the selected tab, scroll position and focus across redraws, and calls `source.inspectActions` for a dead letter's
 * Retry and Discard. Returns the function that removes it and releases every listener, frame and timer.
 *
 * ```ts
 * const unmount = mountDevtools(document.getElementById('devtools')!, sync, { position: 'bottom-left' })
 * ```
 *
 * Throws an INVALID_OPTIONS `SupasyncError` for an element that cannot host a shadow root, a source without
 * `inspect()` / `subscribeInspect()`, bad options, or an element that already shows a panel.
 */
export function mountDevtools(element: Element, source: InspectSource, options?: MountDevtoolsOptions): UnmountDevtools {
  if (!element || typeof (element as Partial<Element>).attachShadow !== 'function') {
    throw invalid('element must be a DOM element such as document.getElementById("devtools") (a <div> works), mounted in the page.')
  }
  checkInspectSource(source, WHERE)
  const { initialIsOpen, initialTab, position, refreshMs, ports } = resolveDevtoolsOptions(options, WHERE)
  const shadow = element.shadowRoot ?? openShadowRoot(element)
  if (mounted.has(shadow)) throw invalid('this element already shows a panel; call the function the first mountDevtools() returned before mounting again.')

  const doc = element.ownerDocument
  const style = doc.createElement('style')
  style.textContent = PANEL_CSS
  const container = doc.createElement('div')
  const state: PanelState = initialPanelState(initialIsOpen, initialTab, position)
  let active = true
  let cancelFrame: (() => void) | undefined
  let stopTicker: (() => void) | undefined
  /** The tab whose body is in the DOM now (undefined while closed): its scroll offset is saved before a redraw. */
  let renderedTab: DevtoolsTab | undefined
  /** Where focus goes after the next redraw, when the element that had it is not redrawn (open, close, confirm). */
  let focusNext: string | undefined

  const render = () => {
    if (!active) return
    const oldBody = container.querySelector<HTMLElement>('[data-body]')
    if (oldBody && renderedTab) state.scroll[renderedTab] = oldBody.scrollTop
    const focused = focusedKey(shadow)
    let next: HTMLElement
    try {
      const snapshot = source.inspect()
      const present = deadLetterKeys(snapshot)
      for (const key of state.actionErrors.keys()) if (!present.has(key)) state.actionErrors.delete(key)
      next = renderPanel(snapshot, { doc, now: ports.now(), state, canAct: source.inspectActions !== undefined })
    } catch (error) {
      next = renderSourceError(error, state, doc)
    }
    container.replaceChildren(next)
    const body = next.querySelector<HTMLElement>('[data-body]')
    renderedTab = body && state.open ? state.tab : undefined
    if (body) body.scrollTop = state.scroll[state.tab] ?? 0
    const focusKey = focusNext ?? focused
    focusNext = undefined
    if (focusKey !== undefined) {
      // Compared as attribute values, not through a selector: keys hold ids that would need CSS escaping.
      const candidates = next.querySelectorAll<HTMLElement>('[data-key]')
      for (let index = 0; index < candidates.length; index++) {
        if (candidates[index]!.getAttribute('data-key') === focusKey) {
          candidates[index]!.focus()
          break
        }
      }
    }
  }
  const schedule = () => {
    if (!active || cancelFrame) return
    cancelFrame = ports.requestFrame(() => {
      cancelFrame = undefined
      render()
    })
  }
  /** After a click: draw now, and drop a frame already requested (it would draw the same thing again). */
  const renderNow = () => {
    cancelFrame?.()
    cancelFrame = undefined
    render()
  }
  // Ages ("12 s ago") count on a quiet instance only if something redraws: the ticker does, while the panel is open.
  const setOpen = (open: boolean) => {
    state.open = open
    stopTicker?.()
    stopTicker = open && refreshMs > 0 ? ports.every(refreshMs, schedule) : undefined
  }

  const runAction = (kind: 'retry' | 'discard', queueId: string, entryId: string) => {
    const actions = source.inspectActions
    const key = deadLetterKey(queueId, entryId)
    if (!actions || state.busy.has(key)) return
    state.busy.add(key)
    state.actionErrors.delete(key)
    renderNow()
    let result: Promise<void>
    try {
      result = Promise.resolve(kind === 'retry' ? actions.retryDeadLetter(queueId, entryId) : actions.discardDeadLetter(queueId, entryId))
    } catch (error) {
      result = Promise.reject(error)
    }
    result.then(
      () => {
        if (!active) return
        state.busy.delete(key)
        schedule()
      },
      (error: unknown) => {
        if (!active) return
        state.busy.delete(key)
        state.actionErrors.set(key, `${kind === 'retry' ? 'Retry' : 'Discard'} failed: ${error instanceof Error ? error.message : String(error)}`)
        schedule()
      },
    )
  }

  // One listener for every button: they are redrawn each frame, so listeners on them would churn.
  const onClick = (event: Event) => {
    const target = (event.target as Element | null)?.closest?.('[data-action]') as HTMLElement | null | undefined
    if (!target || !container.contains(target) || (target as HTMLButtonElement).disabled) return
    const queueId = target.getAttribute('data-queue') ?? ''
    const entryId = target.getAttribute('data-entry') ?? ''
    switch (target.getAttribute('data-action')) {
      case 'open':
        setOpen(true)
        focusNext = `tab:${state.tab}`
        break
      case 'close':
        setOpen(false)
        state.confirming = undefined
        focusNext = 'open'
        break
      case 'tab': {
        const tab = target.getAttribute('data-tab') as DevtoolsTab
        if (!DEVTOOLS_TABS.includes(tab)) return
        state.tab = tab
        state.confirming = undefined
        // Not every browser focuses a clicked button (Safari does not): keep keyboard users on the tab they chose.
        focusNext = `tab:${tab}`
        break
      }
      case 'retry':
        runAction('retry', queueId, entryId)
        return
      case 'discard':
        state.confirming = deadLetterKey(queueId, entryId)
        focusNext = `keep:${state.confirming}`
        break
      case 'keep':
        focusNext = `discard:${state.confirming}`
        state.confirming = undefined
        break
      case 'confirm-discard':
        state.confirming = undefined
        runAction('discard', queueId, entryId)
        return
      default:
        return
    }
    renderNow()
  }

  shadow.replaceChildren(style, container)
  mounted.add(shadow)
  container.addEventListener('click', onClick)
  setOpen(initialIsOpen)
  let unsubscribe: () => void
  try {
    unsubscribe = source.subscribeInspect(schedule)
    if (typeof unsubscribe !== 'function') throw invalid('source.subscribeInspect(listener) must return a function that stops the listener.')
    render()
  } catch (error) {
    active = false
    stopTicker?.()
    container.removeEventListener('click', onClick)
    shadow.replaceChildren()
    mounted.delete(shadow)
    throw error
  }

  return () => {
    if (!active) return
    active = false
    unsubscribe()
    cancelFrame?.()
    cancelFrame = undefined
    stopTicker?.()
    stopTicker = undefined
    container.removeEventListener('click', onClick)
    shadow.replaceChildren()
    mounted.delete(shadow)
  }
}
