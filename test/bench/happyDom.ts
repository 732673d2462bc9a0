// A DOM for benches that render React outside Vitest: happy-dom's Window, with the browser globals React and the
// libraries read copied onto globalThis by hand (@happy-dom/global-registrator is not a dependency).
//
// Node's own fetch, WebSocket, URL, AbortController, Event, timers and performance stay: happy-dom's fetch drops
// PATCH requests, its URL breaks `new URL(…, import.meta.url)`, and supabase-js must talk to the local stack
// through Node's network stack. Clients here get the `ws` transport explicitly anyway (Node 20 has no WebSocket).
import { Window } from 'happy-dom'

/** The browser globals taken from happy-dom; everything else on globalThis stays Node's. */
const DOM_GLOBALS = [
  'window',
  'document',
  'navigator',
  'location',
  'Node',
  'Element',
  'HTMLElement',
  'HTMLIFrameElement',
  'Text',
  'Comment',
  'DocumentFragment',
  'MutationObserver',
  'getComputedStyle',
  'requestAnimationFrame',
  'cancelAnimationFrame',
] as const

export interface Dom {
  window: Window
  /** Restores the globals that were replaced and closes the window (its timers and pending tasks). */
  close(): Promise<void>
}

/** Installs a happy-dom window as the DOM of this process. One at a time; `close()` undoes it. */
export function installDom(url = 'http://localhost/'): Dom {
  const window = new Window({ url })
  const target = globalThis as Record<string, unknown>
  const saved = new Map<string, PropertyDescriptor | undefined>()
  for (const name of DOM_GLOBALS) {
    saved.set(name, Object.getOwnPropertyDescriptor(globalThis, name))
    const value = name === 'window' ? window : (window as unknown as Record<string, unknown>)[name]
    Object.defineProperty(globalThis, name, { value: typeof value === 'function' && /^[a-z]/.test(name) ? value.bind(window) : value, configurable: true, writable: true })
  }
  return {
    window,
    async close() {
      for (const [name, descriptor] of saved) {
        if (descriptor) Object.defineProperty(globalThis, name, descriptor)
        else delete target[name]
      }
      await window.happyDOM.close()
    },
  }
}
