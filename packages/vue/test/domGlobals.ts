/**
 * A DOM for a test that must run in Vitest's node environment (the local stack's modules resolve their SQL files
 * with `new URL(…, import.meta.url)`, which the browser-like environments rewrite to http: URLs). Installs a
 * happy-dom Window's globals that Node lacks (Node's own URL, fetch and timers stay) — call it before Vue's DOM
 * renderer is first imported, which reads `document` once when it loads.
 */
import { Window } from 'happy-dom'

export function installDom(): Window {
  const window = new Window({ url: 'http://localhost/' })
  const target = globalThis as Record<string, unknown>
  for (const key of Object.getOwnPropertyNames(window)) {
    if (key in target) continue
    try {
      target[key] = (window as unknown as Record<string, unknown>)[key]
    } catch {
      // a getter that needs its own this; not needed by Vue
    }
  }
  target.window = window
  target.document = window.document
  return window
}
